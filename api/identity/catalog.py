"""The service catalog every scoped token carries: one entry per service type, each with a public,
internal and admin endpoint in REGION_NAME (RegionOne), all at the same URL (one API serves them all)."""
from django.conf import settings

from ..common.links import base_url

INTERFACES = ("public", "internal", "admin")

# (service type, service name, path under the base URL; `{project_id}` is the token's project).
# Cinder is listed under both types clients look for: openstacksdk asks for `block-storage`, older
# clients and OSC's volume commands for `volumev3`.
SERVICES = [
    ("identity", "keystone", "/identity"),
    ("compute", "nova", "/compute/v2.1"),
    ("image", "glance", "/image"),
    ("block-storage", "cinder", "/volume/v3/{project_id}"),
    ("volumev3", "cinderv3", "/volume/v3/{project_id}"),
    # Unversioned, as Neutron's endpoint is: clients (and Tempest) append /v2.0 themselves.
    ("network", "neutron", "/network"),
]


def service_catalog(request, project_id: str) -> list[dict]:
    base, region = base_url(request), settings.REGION_NAME
    catalog = []
    for stype, name, path in SERVICES:
        url = base + path.format(project_id=project_id)
        endpoints = [{"id": f"{name}-{iface}", "interface": iface, "region": region, "region_id": region,
                      "url": url} for iface in INTERFACES]
        catalog.append({"type": stype, "name": name, "id": name, "endpoints": endpoints})
    return catalog


def regions() -> list[str]:
    return [settings.REGION_NAME]
