"""Nova's JSON shapes, built as plain dicts: fast enough to list 10,000 servers in one response."""
import hashlib

import orjson

from compute_platform.compute.selectors import instance_name_for
from compute_platform.compute.states import server_status

from ..common.links import base_url
from ..common.timefmt import iso_usec, iso_z
from .server_versions import V, add_version_fields, version_of


def host_id(project_id: str, host_name: str | None) -> str:
    """Nova's hostId (utils.generate_hostid): opaque per project, equal for two servers of a project on one
    host, "" for none."""
    if not host_name:
        return ""
    return hashlib.sha224(f"{project_id}{host_name}".encode()).hexdigest()


# Nova's _progress_statuses: the statuses whose server body carries `progress`.
PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")

class ServerViewBuilder:
    """Builds server bodies from flat rows (selectors.instance_list / instance_row) for one request.

    Parts shared by many servers (base URL, flavor and image links, hostId) are built once per request.
    """

    def __init__(self, request, context):
        self.base = base_url(request)
        self.is_admin = context.is_admin
        self.version = version_of(request)
        self._flavors, self._images, self._host_ids = {}, {}, {}

    def links(self, collection: str, rid, project_id: str) -> list[dict]:
        return [{"rel": "self", "href": f"{self.base}/compute/v2.1/{project_id}/{collection}/{rid}"},
                {"rel": "bookmark", "href": f"{self.base}/compute/{project_id}/{collection}/{rid}"}]

    def basic(self, row: dict) -> dict:
        return {"id": row["server_id"], "name": row["name"], "links": self.links("servers", row["server_id"],
                                                                                 row["project_id"])}

    def _flavor(self, project_id, flavorid):
        key = (project_id, flavorid)
        if key not in self._flavors:
            self._flavors[key] = {"id": flavorid, "links": [
                {"rel": "bookmark", "href": f"{self.base}/compute/{project_id}/flavors/{flavorid}"}]}
        return self._flavors[key]

    def _volumes_attached(self, volumes_json: str | None) -> list[dict]:
        """The row's volumes_json (volumes.selectors.instance_volumes_json); delete_on_termination from 2.3."""
        if volumes_json is None:
            return []
        volumes = orjson.loads(volumes_json)
        if self.version < V["2.3"]:
            return [{"id": v["id"]} for v in volumes]
        return [{"id": v["id"], "delete_on_termination": bool(v["delete_on_termination"])} for v in volumes]

    def _image(self, project_id, image_id):
        if image_id is None:
            return ""
        key = (project_id, image_id)
        if key not in self._images:
            self._images[key] = {"id": image_id, "links": [
                {"rel": "bookmark", "href": f"{self.base}/compute/{project_id}/images/{image_id}"}]}
        return self._images[key]

    def _host_id(self, project_id, host_name):
        key = (project_id, host_name)
        if key not in self._host_ids:
            self._host_ids[key] = host_id(project_id, host_name)
        return self._host_ids[key]

    # What a 2.1 server show has that an update's answer lacks before 2.75 (Nova's update view).
    SHOW_ONLY = ("key_name", "security_groups", "OS-SRV-USG:launched_at", "OS-SRV-USG:terminated_at",
                 "OS-EXT-AZ:availability_zone", "config_drive", "OS-EXT-STS:task_state", "OS-EXT-STS:vm_state",
                 "OS-EXT-STS:power_state", "os-extended-volumes:volumes_attached", "OS-EXT-SRV-ATTR:host",
                 "OS-EXT-SRV-ATTR:hypervisor_hostname", "OS-EXT-SRV-ATTR:instance_name")

    def updated(self, row: dict, fault=None, network: dict | None = None) -> dict:
        """The server as PUT (and rebuild) answer it: as a show from 2.75, a shorter body before."""
        if self.version >= V["2.75"]:
            return self.detail(row, fault, network, show_server_groups=True)
        body = self.detail(row, fault, network, show_server_groups=True, extended=False)
        for key in self.SHOW_ONLY:
            body.pop(key, None)
        return body

    def rebuilt(self, row: dict, fault=None, network: dict | None = None) -> dict:
        """The server as rebuild answers it (Nova's _action_rebuild): the update's form, with key_name from
        2.54 and `user_data` (not the admin attribute) from 2.57. The caller adds adminPass."""
        body = self.updated(row, fault, network)
        body.pop("OS-EXT-SRV-ATTR:user_data", None)
        if self.version >= V["2.54"]:
            body["key_name"] = row["key_name"]
        if self.version >= V["2.57"]:
            body["user_data"] = row["user_data"]
        return body

    def detail(self, row: dict, fault=None, network: dict | None = None, *, show_server_groups=False,
               extended=True) -> dict:
        """`network`: the server's entry of network.selectors_instances.instance_network_info (None: no port)."""
        project_id, host_name, vm_state = row["project_id"], row["host__name"], row["vm_state"]
        body = {
            "id": row["server_id"],
            "name": row["name"],
            "status": server_status(vm_state, row["task_state"]),
            "tenant_id": project_id,
            "user_id": str(row["user_id"]),
            "metadata": orjson.loads(row["metadata_json"]),
            "hostId": self._host_id(project_id, host_name),
            "image": self._image(project_id, row["image_ref"]),
            "flavor": self._flavor(project_id, row["flavor__flavorid"]),
            "created": row["created"],
            "updated": row["updated"],
            "addresses": network["addresses"] if network else {},
            "accessIPv4": row["access_ip_v4"] or "",
            "accessIPv6": row["access_ip_v6"] or "",
            "links": self.links("servers", row["server_id"], project_id),
            "OS-DCF:diskConfig": "MANUAL",
            "OS-EXT-AZ:availability_zone": (row["host__availability_zone"] if host_name
                                            else row["availability_zone"]) or "",
            "config_drive": "True" if row.get("config_drive") else "",
            "key_name": row["key_name"],
            "OS-SRV-USG:launched_at": row["launched"],
            "OS-SRV-USG:terminated_at": row["terminated"],
            "OS-EXT-STS:task_state": row["task_state"],
            "OS-EXT-STS:vm_state": vm_state,
            "OS-EXT-STS:power_state": row["power_state"],
            "os-extended-volumes:volumes_attached": self._volumes_attached(row["volumes_json"]),
        }
        if network and network["security_groups"]:  # as Nova: no key at all for a server without groups
            body["security_groups"] = network["security_groups"]
        if body["status"] in PROGRESS_STATUSES:  # as Nova: no `progress` key in other statuses
            body["progress"] = 100 if vm_state == "active" else 0
        if self.is_admin and extended:
            body.update({"OS-EXT-SRV-ATTR:host": host_name, "OS-EXT-SRV-ATTR:hypervisor_hostname": host_name,
                         "OS-EXT-SRV-ATTR:instance_name": instance_name_for(row["id"])})
        if fault is not None:
            body["fault"] = {"code": fault.code, "message": fault.message, "created": iso_z(fault.created_at)}
            if self.is_admin or fault.code != 500:
                body["fault"]["details"] = fault.details
        return add_version_fields(body, row, version=self.version, is_admin=self.is_admin and extended,
                                  show_server_groups=show_server_groups)


def flavor_body(request, flavor, detail=True) -> dict:
    """A flavor at the request's microversion: `description` from 2.55, `extra_specs` from 2.61 (Nova's
    default policy shows them to readers), `swap` 0 rather than "" from 2.75, and from 2.102 no
    `rxtx_factor` and `OS-FLV-DISABLED:disabled`."""
    version = version_of(request)
    base = base_url(request)
    body = {"id": flavor.flavorid, "name": flavor.name,
            "links": [{"rel": "self", "href": f"{base}/compute/v2.1/flavors/{flavor.flavorid}"},
                      {"rel": "bookmark", "href": f"{base}/compute/flavors/{flavor.flavorid}"}]}
    if version >= V["2.55"]:
        body["description"] = flavor.description
    if detail:
        body.update({"ram": flavor.memory_mb, "disk": flavor.root_gb, "vcpus": flavor.vcpus,
                     "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb, "OS-FLV-DISABLED:disabled": False,
                     "swap": flavor.swap if version >= V["2.75"] else (flavor.swap or ""),
                     "rxtx_factor": flavor.rxtx_factor, "os-flavor-access:is_public": flavor.is_public})
        if version >= V["2.61"]:
            body["extra_specs"] = dict(flavor.extra_specs or {})
        if version >= V["2.102"]:
            del body["rxtx_factor"], body["OS-FLV-DISABLED:disabled"]
    return body


def action_body(request, action, events=None, is_admin=False) -> dict:
    """An instance action as Nova's os-instance-actions shows it at the request's microversion: events for
    admins, and from 2.51 for the owner too (without traceback); updated_at from 2.58; the event's hostId
    from 2.62 (and host for admins); details from 2.84 (admins, Nova's default policy)."""
    version = version_of(request)
    body = {"action": action.action, "instance_uuid": str(action.instance.uuid), "message": action.message,
            "project_id": action.project_id, "request_id": action.request_id,
            "start_time": iso_usec(action.start_time), "user_id": action.user_id}
    if version >= V["2.58"]:
        body["updated_at"] = iso_usec(action.updated_at)
    if events is not None and (is_admin or version >= V["2.51"]):
        body["events"] = []
        for e in events:
            item = {"event": e.event, "start_time": iso_usec(e.start_time),
                    "finish_time": iso_usec(e.finish_time), "result": e.result}
            if is_admin:
                item["traceback"] = e.traceback
            if version >= V["2.62"]:
                item["hostId"] = host_id(action.project_id or action.instance.project_id, e.host)
                if is_admin:
                    item["host"] = e.host
            if version >= V["2.84"] and is_admin:
                item["details"] = e.details
            body["events"].append(item)
    return body
