"""The network API's resources, declared once: the URL segment, the body keys, the body builder, and the
services that create, update and delete one. views.py serves them all with Neutron's list semantics."""
from dataclasses import dataclass
from typing import Callable

from compute_platform.compute.exceptions import BadRequest
from compute_platform.identity.selectors import project_get
from compute_platform.network import selectors
from compute_platform.network.services import floating_ips, networks, ports, security_groups

from . import view_builders as vb


@dataclass(frozen=True)
class Resource:
    path: str          # URL segment and selector key: "security-groups"
    plural: str        # body key of a list: "security_groups"
    singular: str      # body key of one: "security_group"
    label: str         # for the docs: "security group"
    body: Callable     # (row, is_admin) -> dict
    create: Callable   # (context, project_id, values) -> row
    update: Callable   # (context, row, values) -> row
    delete: Callable   # (context, row) -> None
    before_list: Callable | None = None  # (context) -> None
    read_back: bool = True  # whether a create's row is read again to render it (a port's create returns it whole)


def project_for_create(context, values: dict) -> str:
    """The project a create is for: the token's, or (admins only) the one the body names."""
    asked = values.pop("project_id", None) or values.pop("tenant_id", None)
    values.pop("tenant_id", None)
    if not asked or asked == context.project_id:
        return context.project_id
    if not context.is_admin:
        raise BadRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request "
                         "requires admin privileges")
    return project_get(context=context, project_id=asked).pk


def _network(context, network_id):
    return selectors.network_resource_get(context=context, resource="networks", resource_id=network_id)


def _default_group(context):
    if context.project_id:
        security_groups.security_group_default_ensure(project_id=context.project_id)


RESOURCES = {r.path: r for r in [
    Resource(
        "networks", "networks", "network", "network", vb.network_body,
        create=lambda ctx, project, v: networks.network_create(context=ctx, project_id=project, values=v),
        update=lambda ctx, row, v: networks.network_update(context=ctx, network=row, values=v),
        delete=lambda ctx, row: networks.network_delete(context=ctx, network=row)),
    Resource(
        "subnets", "subnets", "subnet", "subnet", vb.subnet_body,
        create=lambda ctx, project, v: networks.subnet_create(
            context=ctx, project_id=project, network=_network(ctx, v.pop("network_id")), values=v),
        update=lambda ctx, row, v: networks.subnet_update(context=ctx, subnet=row, values=v),
        delete=lambda ctx, row: networks.subnet_delete(context=ctx, subnet=row)),
    Resource(
        "ports", "ports", "port", "port", vb.port_body,
        create=lambda ctx, project, v: ports.port_create(
            context=ctx, project_id=project, network_id=v.pop("network_id"), values=v),
        update=lambda ctx, row, v: ports.port_update(context=ctx, port=row, values=v),
        delete=lambda ctx, row: ports.port_delete(context=ctx, port=row), read_back=False),
    Resource(
        "security-groups", "security_groups", "security_group", "security group", vb.security_group_body,
        create=lambda ctx, project, v: security_groups.security_group_create(
            project_id=project, name=v.get("name") or "", description=v.get("description") or "",
            stateful=v.get("stateful", True)),
        update=lambda ctx, row, v: security_groups.security_group_update(group=row, values=v),
        delete=lambda ctx, row: security_groups.security_group_delete(group=row, is_admin=ctx.is_admin),
        before_list=_default_group),
    Resource(
        "security-group-rules", "security_group_rules", "security_group_rule", "security group rule", vb.rule_body,
        create=lambda ctx, project, v: security_groups.security_group_rule_create(
            group=selectors.network_resource_owned(context=ctx, resource="security-groups",
                                                   resource_id=v.pop("security_group_id")), values=v),
        update=None,
        delete=lambda ctx, row: security_groups.security_group_rule_delete(rule=row),
        before_list=_default_group),
    Resource(
        "floatingips", "floatingips", "floatingip", "floating IP", vb.floatingip_body,
        create=lambda ctx, project, v: floating_ips.floatingip_create(
            context=ctx, project_id=project, network=_network(ctx, v.pop("floating_network_id")), values=v),
        update=lambda ctx, row, v: floating_ips.floatingip_update(context=ctx, fip=row, values=v),
        delete=lambda ctx, row: floating_ips.floatingip_delete(context=ctx, fip=row)),
]}
