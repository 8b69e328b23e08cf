"""Nova's os-security-groups and os-security-group-rules proxies (2.1 to 2.35) over the network service:
the same services the Neutron-shaped API calls, with Nova's shapes and Nova's error codes (a rule that
exists or a group in use is Nova's 400, an exceeded quota its 403)."""
import ipaddress
import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, Conflict, Forbidden, NotFound
from compute_platform.network import selectors as net_selectors
from compute_platform.network.services.security_groups import (security_group_create, security_group_delete,
                                                                security_group_rule_create,
                                                                security_group_rule_delete, security_group_update)

from ..common.microversions import version_at_least
from ..common.pagination import page_params
from ..common.schemas import nova_errors
from ..common.views import OpenStackView, body_of

TAGS = ["compute"]
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)
GONE = "From microversion 2.36 (the proxy was removed)."


def proxy_gone(request) -> None:
    """Nova's proxies to the network and volume services answer 404 from 2.36 on."""
    if version_at_least(request, "2.36"):
        raise NotFound("The resource could not be found.")


def nova_rule(rule) -> dict:
    """A Neutron ingress rule as Nova shows it (security_group_api's conversion)."""
    pmin, pmax = rule.port_range_min, rule.port_range_max
    if rule.protocol and pmin is None and pmax is None:
        pmin, pmax = (1, 65535) if rule.protocol.upper() in ("TCP", "UDP") else (-1, -1)
    body = {"id": str(rule.id), "parent_group_id": str(rule.security_group_id), "ip_protocol": rule.protocol,
            "from_port": pmin, "to_port": pmax, "group": {}, "ip_range": {}}
    if rule.remote_group_id:
        body["group"] = {"name": rule.remote_group.name, "tenant_id": rule.remote_group.project_id}
    else:
        body["ip_range"] = {"cidr": rule.remote_ip_prefix or "0.0.0.0/0"}
    return body


def nova_group(group) -> dict:
    return {"id": str(group.id), "name": group.name, "description": group.description,
            "tenant_id": group.project_id,
            "rules": [nova_rule(r) for r in group.rules.all() if r.direction == "ingress"]}


def _group(context, group_id):
    try:
        uuid.UUID(str(group_id))
    except ValueError:
        raise BadRequest("Security group id should be uuid")
    try:
        return net_selectors.network_resource_get(context=context, resource="security-groups",
                                                  resource_id=group_id)
    except NotFound:
        raise NotFound(f"Security group {group_id} not found.")


def _name_and_description(request) -> tuple[str, str]:
    body = body_of(request, "security_group")
    values = []
    for key in ("name", "description"):
        value = body.get(key)
        if not isinstance(value, str) or len(value) > 255:
            raise BadRequest(f"Invalid input for field/attribute {key}: a string of at most 255 characters.")
        values.append(value)
    return values[0], values[1]


def _nova_errors(call, **kwargs):
    """Nova's translation of the network service's refusals."""
    try:
        return call(**kwargs)
    except Conflict as exc:
        if getattr(exc, "fault", None) == "OverQuota":
            raise Forbidden(f"Quota exceeded, too many security groups or rules. ({exc.message})")
        raise BadRequest(exc.message)


class SecurityGroupListView(OpenStackView):
    @extend_schema(operation_id="compute_security_groups_list", summary="Security groups (proxy, below 2.36)",
                   tags=TAGS, responses={200: OBJECT, **nova_errors({404: GONE})})
    def get(self, request):
        proxy_gone(request)
        filters = {} if self.context.is_admin and "all_tenants" in request.query_params else {
            "project_id": [self.context.project_id]}
        groups = net_selectors.network_resource_list(context=self.context, resource="security-groups",
                                                     filters=filters)
        bodies = sorted((nova_group(g) for g in groups), key=lambda g: (g["tenant_id"], g["name"]))
        page = page_params(request)  # Nova's common.limited: offset, then at most limit
        bodies = bodies[page.offset:page.offset + page.limit]
        return Response({"security_groups": bodies})

    @extend_schema(operation_id="compute_security_group_create", summary="Create a security group (proxy)",
                   tags=TAGS, request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({400: "Invalid name or description.",
                                                          403: "Over quota.", 404: GONE})})
    def post(self, request):
        proxy_gone(request)
        name, description = _name_and_description(request)
        group = _nova_errors(security_group_create, project_id=self.context.project_id, name=name,
                             description=description)
        return Response({"security_group": nova_group(_group(self.context, group.id))})


class SecurityGroupView(OpenStackView):
    @extend_schema(operation_id="compute_security_group_show", summary="One security group (proxy)", tags=TAGS,
                   responses={200: OBJECT, **nova_errors({400: "Not a uuid.", 404: "No such group."})})
    def get(self, request, group_id):
        proxy_gone(request)
        return Response({"security_group": nova_group(_group(self.context, group_id))})

    @extend_schema(operation_id="compute_security_group_update", summary="Rename a security group (proxy)",
                   tags=TAGS, request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({400: "Invalid input.", 404: "No such group."})})
    def put(self, request, group_id):
        proxy_gone(request)
        group = _group(self.context, group_id)
        name, description = _name_and_description(request)
        if group.project_id != self.context.project_id and not self.context.is_admin:
            raise NotFound(f"Security group {group_id} not found.")
        _nova_errors(security_group_update, group=group, values={"name": name, "description": description})
        return Response({"security_group": nova_group(_group(self.context, group_id))})

    @extend_schema(operation_id="compute_security_group_delete", summary="Delete a security group (proxy)",
                   tags=TAGS, responses={202: None, **nova_errors({
                       400: "Not a uuid, the default group, or in use.", 404: "No such group."})})
    def delete(self, request, group_id):
        proxy_gone(request)
        group = _group(self.context, group_id)
        _nova_errors(security_group_delete, group=group, is_admin=False)  # Nova never deletes `default`
        return Response(status=202)


PROTOCOLS = ("TCP", "UDP", "ICMP")


def _port(value, protocol: str):
    try:
        return int(value)
    except (TypeError, ValueError):
        if protocol == "ICMP":
            raise BadRequest("Type and Code must be integers for ICMP protocol type")
        raise BadRequest("To and From ports must be integers")


def _neutron_rule(sg_rule: dict) -> dict:
    """Nova's rule arguments (ip_protocol, from_port, to_port, cidr or group_id) as a Neutron ingress rule,
    with Nova's checks and messages (security_group_api._new_ingress_rule)."""
    group_id, protocol = sg_rule.get("group_id"), sg_rule.get("ip_protocol")
    from_port, to_port = sg_rule.get("from_port"), sg_rule.get("to_port")
    upper = str(protocol).upper() if protocol else ""
    cidr = None
    if group_id is not None:
        if upper == "ICMP" and from_port is None and to_port is None:
            from_port = to_port = -1
        elif upper in ("TCP", "UDP") and from_port is None and to_port is None:
            from_port, to_port = 1, 65535
    else:
        cidr = sg_rule.get("cidr") or "0.0.0.0/0"
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            raise BadRequest(f"Invalid cidr {cidr}.")
        if network.prefixlen == 0 and str(network.network_address) not in ("0.0.0.0", "::"):
            raise BadRequest(f"Bad prefix for network in cidr {cidr}")
    if protocol and from_port is not None and to_port is not None:
        from_port, to_port = _port(from_port, upper), _port(to_port, upper)
        if upper not in PROTOCOLS:
            raise BadRequest(f"Invalid IP protocol {protocol}.")
        if upper in ("TCP", "UDP") and from_port > to_port:
            raise BadRequest(f"Invalid port range {from_port}:{to_port}. Former value cannot be greater than "
                             "the later")
        if upper in ("TCP", "UDP") and (from_port < 1 or to_port > 65535):
            raise BadRequest(f"Invalid port range {from_port}:{to_port}. Valid {upper} ports should be between "
                             "1-65535")
        if upper == "ICMP" and not (-1 <= from_port <= 255 and -1 <= to_port <= 255):
            raise BadRequest(f"Invalid port range {from_port}:{to_port}. For ICMP, the type:code must be valid")
    elif cidr is not None:
        raise BadRequest("Not enough parameters to build a valid rule.")
    else:
        protocol = from_port = to_port = None
    ethertype = "IPv6" if cidr and ipaddress.ip_network(str(cidr), strict=False).version == 6 else "IPv4"
    return {"direction": "ingress", "ethertype": ethertype, "protocol": protocol.lower() if protocol else None,
            "port_range_min": None if from_port in (None, -1) else from_port,
            "port_range_max": None if to_port in (None, -1) else to_port,
            "remote_ip_prefix": cidr, "remote_group_id": group_id}


class SecurityGroupRuleListView(OpenStackView):
    @extend_schema(operation_id="compute_security_group_rule_create", summary="Add an ingress rule (proxy)",
                   tags=TAGS, request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({400: "Invalid or duplicate rule.", 403: "Over quota.",
                                                          404: "No such parent or source group."})})
    def post(self, request):
        proxy_gone(request)
        sg_rule = body_of(request, "security_group_rule")
        for key in ("parent_group_id", "group_id"):
            value = sg_rule.get(key)
            if (key == "parent_group_id" or value is not None) and not _is_uuid(value):
                raise BadRequest(f"Invalid input for field/attribute {key}: {value!r} is not a 'uuid'")
        group = _group(self.context, sg_rule["parent_group_id"])
        if sg_rule.get("group_id") is not None:
            _group(self.context, sg_rule["group_id"])
        values = _neutron_rule(sg_rule)
        try:
            rule = _nova_errors(security_group_rule_create, group=group, values=values)
        except BadRequest as exc:
            if "already exists" in exc.message:
                raise BadRequest(f"This rule already exists in group {group.id}")
            raise
        return Response({"security_group_rule": nova_rule(rule)})


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


class SecurityGroupRuleView(OpenStackView):
    @extend_schema(operation_id="compute_security_group_rule_delete", summary="Delete a rule (proxy)", tags=TAGS,
                   responses={202: None, **nova_errors({400: "Not a uuid.", 404: "No such rule."})})
    def delete(self, request, rule_id):
        proxy_gone(request)
        if not _is_uuid(rule_id):
            raise BadRequest("Security group id should be uuid")
        try:
            rule = net_selectors.network_resource_get(context=self.context, resource="security-group-rules",
                                                      resource_id=rule_id)
        except NotFound:
            raise NotFound(f"Security group rule {rule_id} not found.")
        security_group_rule_delete(rule=rule)
        return Response(status=202)
