"""The metadata service (Nova's nova-api-metadata): what a guest reads from http://169.254.169.254/, relayed by
its network's metadata proxy (hypervisors/netplane/metadata_proxy.py), which names the guest by its network and
address and signs them. No token: the signature is the credential.

    /openstack                    the versions (latest)
    /openstack/latest             meta_data.json, network_data.json, vendor_data.json, user_data (if any)
    /openstack/latest/<file>      the config drive's file, from the same builder (hypervisors/configdrive.py)
    /, /<ec2 version>             meta-data/, user-data (if any)
    /<ec2 version>/meta-data/...  the EC2-style tree: instance-id, hostname, local-ipv4, public-ipv4, ...
    /<ec2 version>/user-data

Listings and files are plain text (or JSON for the .json files), as Nova's; errors are Nova's JSON faults.
"""
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from compute_platform.compute.exceptions import ComputeError, NotFound
from compute_platform.compute.selectors_guest_data import metadata_guest_data

from ..common.errors import error_body

OPENSTACK_VERSIONS = ("latest",)  # the config drive's (hypervisors/configdrive.VERSIONS)
EC2_VERSIONS = ("2009-04-04", "latest")  # the keys served are 2009-04-04's, which cloud-init's EC2 source asks


def _text(lines) -> HttpResponse:
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _listing(tree: dict) -> list[str]:
    # a directory shows as `name/`, or as its `_name` (Nova's `0=<key name>` under public-keys/)
    return [v.get("_name", f"{k}/") if isinstance(v, dict) else k for k, v in tree.items() if k != "_name"]


def _openstack(data, parts: list[str]) -> HttpResponse:
    if not parts:
        return _text(OPENSTACK_VERSIONS)
    if parts[0] not in OPENSTACK_VERSIONS or len(parts) > 2:
        raise NotFound(f"No metadata at openstack/{'/'.join(parts)}.")
    if len(parts) == 1:
        return _text(sorted(data.openstack))
    body = data.openstack.get(parts[1])
    if body is None:
        raise NotFound(f"No metadata at openstack/{'/'.join(parts)}.")
    kind = "application/json" if parts[1].endswith(".json") else "application/octet-stream"
    return HttpResponse(body, content_type=kind)


def _ec2(data, parts: list[str]) -> HttpResponse:
    if not parts:
        return _text(["meta-data/"] + (["user-data"] if data.user_data is not None else []))
    if parts[0] == "user-data" and len(parts) == 1 and data.user_data is not None:
        return HttpResponse(data.user_data, content_type="application/octet-stream")
    if parts[0] != "meta-data":
        raise NotFound(f"No metadata at {'/'.join(parts)}.")
    node = data.ec2
    for part in parts[1:]:
        if not isinstance(node, dict) or part not in node or part == "_name":
            raise NotFound(f"No metadata at {'/'.join(parts)}.")
        node = node[part]
    return _text(_listing(node)) if isinstance(node, dict) else _text([node])


@csrf_exempt  # no session, no cookies: the proxy's signature is the credential
def metadata_view(request, path: str = ""):
    """GET any path of the tree, for the guest the proxy's headers name."""
    if request.method not in ("GET", "HEAD"):
        return JsonResponse(error_body(request.path, 405, "Only GET is served."), status=405)
    try:
        data = metadata_guest_data(network_id=request.headers.get("X-Neutron-Network-ID"),
                                   address=request.headers.get("X-Forwarded-For"),
                                   signature_hex=request.headers.get("X-Instance-ID-Signature"))
        parts = [p for p in path.split("/") if p]
        if not parts:
            return _text(EC2_VERSIONS)
        if parts[0] == "openstack":
            return _openstack(data, parts[1:])
        if parts[0] in EC2_VERSIONS:
            return _ec2(data, parts[1:])
        raise NotFound(f"No metadata at {path}.")
    except ComputeError as exc:
        return JsonResponse(error_body(request.path, exc.code, exc.message), status=exc.code)
