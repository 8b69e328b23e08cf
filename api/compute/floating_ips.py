"""Nova's os-floating-ips and os-floating-ip-pools proxies (2.1 to 2.35), and the addFloatingIp /
removeFloatingIp server actions (to 2.43), over the network service's floating IP services. A pool is an
external network, named by its name or id."""
import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, Conflict, Forbidden, NotFound
from compute_platform.network import selectors as net_selectors
from compute_platform.network.selectors_instances import instance_ports
from compute_platform.network.services.floating_ips import floatingip_create, floatingip_delete, floatingip_update

from ..common.schemas import nova_errors
from ..common.views import OpenStackView
from .security_groups import proxy_gone

TAGS = ["compute"]
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)
GONE = "From microversion 2.36 (the proxy was removed)."


def floating_ip_body(fip) -> dict:
    return {"id": str(fip.id), "ip": fip.floating_ip_address, "fixed_ip": fip.fixed_ip_address,
            "instance_id": fip.port.device_id if fip.port_id and fip.port.device_id else None,
            "pool": fip.floating_network.name or str(fip.floating_network_id)}


def _pools(context) -> list:
    return net_selectors.network_resource_list(context=context, resource="networks",
                                               filters={"router:external": ["true"]})


def _pool(context, name: str | None):
    pools = _pools(context)
    if name is None:  # Nova's default pool: here the one external network, when there is exactly one
        if len(pools) == 1:
            return pools[0]
        raise NotFound("Floating IP pool not found.")
    found = [p for p in pools if p.name == name] or [p for p in pools if str(p.id) == name]
    if len(found) != 1:
        raise NotFound("Floating IP pool not found." if not found else f"Multiple floating IP pools match {name}.")
    return found[0]


def _floating_ip(context, fip_id):
    try:
        uuid.UUID(str(fip_id))
    except ValueError:
        raise NotFound(f"Floating IP not found for ID {fip_id}")
    try:
        return net_selectors.network_resource_get(context=context, resource="floatingips", resource_id=fip_id)
    except NotFound:
        raise NotFound(f"Floating IP not found for ID {fip_id}")


class FloatingIpListView(OpenStackView):
    @extend_schema(operation_id="compute_floating_ips_list", summary="The project's floating IPs (proxy)",
                   tags=TAGS, responses={200: OBJECT, **nova_errors({404: GONE})})
    def get(self, request):
        proxy_gone(request)
        fips = net_selectors.network_resource_list(context=self.context, resource="floatingips",
                                                   filters={"project_id": [self.context.project_id]})
        return Response({"floating_ips": [floating_ip_body(f) for f in fips]})

    @extend_schema(operation_id="compute_floating_ip_allocate", summary="Allocate a floating IP from a pool",
                   tags=TAGS, request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({400: "Invalid pool.", 403: "Over quota.",
                                                          404: "No such pool, or no address left in it."})})
    def post(self, request):
        proxy_gone(request)
        body = request.data if isinstance(request.data, dict) else {}
        name = body.get("pool")
        if name is not None and not isinstance(name, str):
            raise BadRequest("Invalid input for field/attribute pool: it must be a string.")
        network = _pool(self.context, name)
        try:
            fip = floatingip_create(context=self.context, project_id=self.context.project_id, network=network,
                                    values={})
        except Conflict as exc:
            if getattr(exc, "fault", None) == "OverQuota":
                raise Forbidden(f"IP allocation over quota in pool {network.name}.")
            raise NotFound(f"No more floating IPs in pool {network.name}.")
        return Response({"floating_ip": floating_ip_body(_floating_ip(self.context, fip.id))})


class FloatingIpView(OpenStackView):
    @extend_schema(operation_id="compute_floating_ip_show", summary="One floating IP (proxy)", tags=TAGS,
                   responses={200: OBJECT, **nova_errors({404: "No such floating IP."})})
    def get(self, request, fip_id):
        proxy_gone(request)
        return Response({"floating_ip": floating_ip_body(_floating_ip(self.context, fip_id))})

    @extend_schema(operation_id="compute_floating_ip_release", summary="Release a floating IP (proxy)",
                   tags=TAGS, responses={202: None, **nova_errors({404: "No such floating IP."})})
    def delete(self, request, fip_id):
        proxy_gone(request)
        floatingip_delete(context=self.context, fip=_floating_ip(self.context, fip_id))
        return Response(status=202)


class FloatingIpPoolListView(OpenStackView):
    @extend_schema(operation_id="compute_floating_ip_pools_list", summary="Floating IP pools (external networks)",
                   tags=TAGS, responses={200: OBJECT, **nova_errors({404: GONE})})
    def get(self, request):
        proxy_gone(request)
        return Response({"floating_ip_pools": [{"name": p.name or str(p.id)} for p in _pools(self.context)]})


def _by_address(context, address):
    fips = net_selectors.network_resource_list(context=context, resource="floatingips",
                                               filters={"floating_ip_address": [address]})
    if not fips:
        raise NotFound("floating IP not found")
    return fips[0]


def floating_ip_add(view, request, instance, value) -> Response:
    """addFloatingIp {address, fixed_address?}: the floating IP onto the server's port holding that fixed IP
    (the first IPv4 one by default)."""
    address = value.get("address") if isinstance(value, dict) else None
    fixed = value.get("fixed_address") if isinstance(value, dict) else None
    if not isinstance(address, str) or not address:
        raise BadRequest("Invalid input for field/attribute address.")
    fip = _by_address(view.context, address)
    holders = [(port, a.ip_address) for port in instance_ports(instance_uuid=str(instance.uuid))
               for a in port.fixed_ips.all()]
    if not holders:
        raise BadRequest("No fixed IPs associated to instance")
    if fixed is not None:
        holders = [(p, ip) for p, ip in holders if ip == fixed]
        if not holders:
            raise BadRequest("Specified fixed address not assigned to instance")
    else:
        holders = [(p, ip) for p, ip in holders if ":" not in ip]
        if not holders:
            raise BadRequest(f"Unable to associate floating IP {address} to any fixed IPs for instance "
                             f"{instance.uuid}. Instance has no fixed IPv4 addresses to associate.")
    port, fixed_ip = holders[0]
    try:
        floatingip_update(context=view.context, fip=fip, values={"port_id": str(port.id),
                                                                 "fixed_ip_address": fixed_ip})
    except (Conflict, BadRequest) as exc:
        raise BadRequest(f"Unable to associate floating IP {address} to fixed IP {fixed_ip} for instance "
                         f"{instance.uuid}. Error: {exc.message}")
    return Response(status=202)


def floating_ip_remove(view, request, instance, value) -> Response:
    address = value.get("address") if isinstance(value, dict) else None
    if not isinstance(address, str) or not address:
        raise BadRequest("Invalid input for field/attribute address.")
    fip = _by_address(view.context, address)
    if not fip.port_id or fip.port.device_id != str(instance.uuid):
        raise Conflict(f"Floating IP {address} is not associated with instance {instance.uuid}.")
    floatingip_update(context=view.context, fip=fip, values={"port_id": None})
    return Response(status=202)


FLOATING_IP_ACTIONS = {"addFloatingIp": floating_ip_add, "removeFloatingIp": floating_ip_remove}
