"""Nova's JSON shapes, built as plain dicts: fast enough to list 10,000 servers in one response."""
import hashlib

from compute_platform.compute.states import server_status

from ..common.links import base_url


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def _iso_usec(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") if dt else None


class ServerViewBuilder:
    """Builds server bodies for one request (base URL computed once, not per server)."""

    def __init__(self, request, context):
        self.base = base_url(request)
        self.is_admin = context.is_admin

    def links(self, collection: str, rid, project_id: str) -> list[dict]:
        return [{"rel": "self", "href": f"{self.base}/compute/v2.1/{project_id}/{collection}/{rid}"},
                {"rel": "bookmark", "href": f"{self.base}/compute/{project_id}/{collection}/{rid}"}]

    def basic(self, inst) -> dict:
        return {"id": str(inst.uuid), "name": inst.name, "links": self.links("servers", inst.uuid, inst.project_id)}

    def detail(self, inst, fault=None) -> dict:
        host_name = inst.host.name if inst.host_id else None
        host_id = hashlib.sha224(f"{inst.project_id}{host_name}".encode()).hexdigest() if host_name else ""
        image = ""
        if inst.image_id:
            image = {"id": str(inst.image_id),
                     "links": [{"rel": "bookmark", "href": f"{self.base}/compute/{inst.project_id}/images/{inst.image_id}"}]}
        body = {
            "id": str(inst.uuid),
            "name": inst.name,
            "status": server_status(inst.vm_state, inst.task_state),
            "tenant_id": inst.project_id,
            "user_id": str(inst.user_id),
            "metadata": inst.metadata,
            "hostId": host_id,
            "image": image,
            "flavor": {"id": inst.flavor.flavorid,
                       "links": [{"rel": "bookmark",
                                  "href": f"{self.base}/compute/{inst.project_id}/flavors/{inst.flavor.flavorid}"}]},
            "created": _iso(inst.created_at),
            "updated": _iso(inst.updated_at),
            "addresses": {},
            "accessIPv4": "",
            "accessIPv6": "",
            "links": self.links("servers", inst.uuid, inst.project_id),
            "OS-DCF:diskConfig": "MANUAL",
            "progress": 0 if inst.vm_state == "building" else 100 if inst.vm_state == "active" else 0,
            "OS-EXT-AZ:availability_zone": (inst.host.availability_zone if inst.host_id else inst.availability_zone) or "",
            "config_drive": "",
            "key_name": inst.key_name,
            "OS-SRV-USG:launched_at": _iso_usec(inst.launched_at),
            "OS-SRV-USG:terminated_at": _iso_usec(inst.terminated_at),
            "OS-EXT-STS:task_state": inst.task_state,
            "OS-EXT-STS:vm_state": inst.vm_state,
            "OS-EXT-STS:power_state": inst.power_state,
            "os-extended-volumes:volumes_attached": [],
            "security_groups": [{"name": "default"}],
        }
        if self.is_admin:
            body.update({"OS-EXT-SRV-ATTR:host": host_name, "OS-EXT-SRV-ATTR:hypervisor_hostname": host_name,
                         "OS-EXT-SRV-ATTR:instance_name": inst.instance_name})
        if fault is not None:
            body["fault"] = {"code": fault.code, "message": fault.message, "created": _iso(fault.created_at)}
            if self.is_admin or fault.code != 500:
                body["fault"]["details"] = fault.details
        return body


def flavor_body(request, flavor, detail=True) -> dict:
    base = base_url(request)
    body = {"id": flavor.flavorid, "name": flavor.name,
            "links": [{"rel": "self", "href": f"{base}/compute/v2.1/flavors/{flavor.flavorid}"},
                      {"rel": "bookmark", "href": f"{base}/compute/flavors/{flavor.flavorid}"}]}
    if detail:
        body.update({"ram": flavor.memory_mb, "disk": flavor.root_gb, "vcpus": flavor.vcpus,
                     "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb, "OS-FLV-DISABLED:disabled": False,
                     "swap": flavor.swap or "", "rxtx_factor": flavor.rxtx_factor,
                     "os-flavor-access:is_public": flavor.is_public})
    return body


def action_body(action, events=None, show_traceback=False) -> dict:
    body = {"action": action.action, "instance_uuid": str(action.instance.uuid), "message": action.message,
            "project_id": action.project_id, "request_id": action.request_id,
            "start_time": _iso_usec(action.start_time), "user_id": action.user_id}
    if events is not None:
        body["events"] = []
        for e in events:
            item = {"event": e.event, "start_time": _iso_usec(e.start_time),
                    "finish_time": _iso_usec(e.finish_time), "result": e.result}
            if show_traceback:
                item["traceback"] = e.traceback
            body["events"].append(item)
    return body
