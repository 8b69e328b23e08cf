"""The service catalog every scoped token carries (RegionOne; public, internal, admin)."""
from django.conf import settings

from ..common.links import base_url

# (type, name, path under the base URL). Volume joins when the volume service exists.
SERVICES = [
    ("identity", "keystone", "/identity"),
    ("compute", "nova", "/compute/v2.1"),
    ("image", "glance", "/image"),
]


def service_catalog(request) -> list[dict]:
    base, region = base_url(request), settings.REGION_NAME
    catalog = []
    for stype, name, path in SERVICES:
        endpoints = [{"id": f"{name}-{iface}", "interface": iface, "region": region, "region_id": region,
                      "url": base + path} for iface in ("public", "internal", "admin")]
        catalog.append({"type": stype, "name": name, "id": name, "endpoints": endpoints})
    return catalog
