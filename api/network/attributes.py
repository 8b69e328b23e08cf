"""Neutron's attribute maps, for input: which attributes a POST or PUT may carry, their types, and which a
POST needs. An unknown attribute or a wrong type is a 400 `InvalidInput`, as Neutron answers."""
import uuid

from compute_platform.network.exceptions import InvalidInput

TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _str(value, name):
    if not isinstance(value, str):
        raise InvalidInput(f"'{value}' is not a valid string for {name}")
    if "\x00" in value:  # PostgreSQL cannot store it: a 400 here, not a 500 there
        raise InvalidInput(f"{name} must not contain NUL characters")
    if len(value) > 255:
        raise InvalidInput(f"'{value[:20]}...' exceeds maximum length of 255 for {name}")
    return value


def _nullable_str(value, name):
    return None if value is None else _str(value, name)


def _bool(value, name):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in TRUE + FALSE:
        return value.lower() in TRUE
    raise InvalidInput(f"'{value}' cannot be converted to boolean for {name}")


def _int(value, name):
    if isinstance(value, bool):
        raise InvalidInput(f"'{value}' is not an integer for {name}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not an integer for {name}")
    if not -2**31 <= number < 2**31:
        raise InvalidInput(f"'{value}' is out of range for {name}")
    return number


def _nullable_int(value, name):
    return None if value is None else _int(value, name)


def _uuid(value, name):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid UUID for {name}")


def _nullable_uuid(value, name):
    return None if value is None else _uuid(value, name)


def _list(value, name):
    if not isinstance(value, list):
        raise InvalidInput(f"'{value}' is not a list for {name}")
    return value


def _nullable_list(value, name):
    return None if value is None else _list(value, name)


def _dict_list(value, name):
    if not isinstance(_list(value, name), list) or not all(isinstance(v, dict) for v in value):
        raise InvalidInput(f"'{value}' is not a list of objects for {name}")
    return value


def _str_list(value, name):
    if not all(isinstance(v, str) and "\x00" not in v for v in _list(value, name)):
        raise InvalidInput(f"'{value}' is not a list of strings for {name}")
    return value


# attribute: (type, allowed in POST, allowed in PUT)
_BASE = {"name": (_str, True, True), "description": (_str, True, True), "tenant_id": (_str, True, False),
         "project_id": (_str, True, False)}
ATTRIBUTES = {
    "network": {**_BASE, "admin_state_up": (_bool, True, True), "shared": (_bool, True, True),
                "router:external": (_bool, True, True), "mtu": (_int, True, True),
                "port_security_enabled": (_bool, True, True), "availability_zone_hints": (_list, True, False)},
    "subnet": {**_BASE, "network_id": (_uuid, True, False), "ip_version": (_int, True, False),
               "cidr": (_str, True, False), "gateway_ip": (_nullable_str, True, True),
               "allocation_pools": (_dict_list, True, True), "dns_nameservers": (_str_list, True, True),
               "host_routes": (_dict_list, True, True), "enable_dhcp": (_bool, True, True),
               "ipv6_ra_mode": (_nullable_str, True, False), "ipv6_address_mode": (_nullable_str, True, False)},
    "port": {**_BASE, "network_id": (_uuid, True, False), "mac_address": (_str, True, True),
             "admin_state_up": (_bool, True, True), "fixed_ips": (_dict_list, True, True),
             "device_id": (_str, True, True), "device_owner": (_str, True, True),
             "security_groups": (_nullable_list, True, True), "binding:host_id": (_str, True, True),
             "port_security_enabled": (_bool, True, True), "binding:vnic_type": (_str, True, True),
             "binding:profile": (lambda v, n: v, True, True), "allowed_address_pairs": (_list, True, True)},
    "security_group": {**_BASE, "stateful": (_bool, True, True)},
    "security_group_rule": {**{k: v for k, v in _BASE.items() if k != "name"},
                            "security_group_id": (_uuid, True, False), "direction": (_str, True, False),
                            "ethertype": (_str, True, False), "protocol": (lambda v, n: v if v is None else str(v),
                                                                           True, False),
                            "port_range_min": (_nullable_int, True, False),
                            "port_range_max": (_nullable_int, True, False),
                            "remote_ip_prefix": (_nullable_str, True, False),
                            "remote_group_id": (_nullable_str, True, False)},  # Neutron: any string, 404 if no group
    "floatingip": {**{k: v for k, v in _BASE.items() if k != "name"},
                   "floating_network_id": (_uuid, True, False), "port_id": (_nullable_uuid, True, True),
                   "fixed_ip_address": (_nullable_str, True, True), "floating_ip_address": (_str, True, False),
                   "subnet_id": (_nullable_uuid, True, False)},
}
REQUIRED = {"subnet": ("network_id", "cidr"), "port": ("network_id",),
            "security_group_rule": ("security_group_id", "direction"), "floatingip": ("floating_network_id",)}
# Accepted for clients' sake and then ignored (what these features would do is not implemented).
IGNORED = {"port": ("binding:vnic_type", "binding:profile", "allowed_address_pairs"),
           "network": ("availability_zone_hints", "port_security_enabled")}


def validated(kind: str, body: dict, *, create: bool) -> dict:
    """The body's attributes, converted; 400 for an unknown, read-only or missing attribute or a bad value."""
    attributes, values = ATTRIBUTES[kind], {}
    unknown = sorted(set(body) - set(attributes))
    if unknown:
        raise InvalidInput(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for name, value in body.items():
        convert, on_post, on_put = attributes[name]
        if not (on_post if create else on_put):
            raise InvalidInput(f"Cannot update read-only attribute {name}")
        if name in IGNORED.get(kind, ()):
            continue
        values[name] = convert(value, name)
    if create:
        missing = [name for name in REQUIRED.get(kind, ()) if name not in values]
        if missing:
            raise InvalidInput(f"Missing required attribute(s): {', '.join(missing)}")
    return values


# --- tags (standard-attr-tag): Neutron's validate_tag and validate_tags -------------------------------

def tag_validated(tag) -> str:
    """A tag: a string of at most 255 characters (Neutron allows any other, the empty one too)."""
    return _str(tag, "tag")


def tags_validated(body) -> list[str]:
    """The tags of a `{"tags": [...]}` body: a list of unique tags."""
    if not isinstance(body, dict) or "tags" not in body:
        raise InvalidInput("Invalid tags body")
    tags = [tag_validated(tag) for tag in _list(body["tags"], "tags")]
    duplicates = sorted({tag for tag in tags if tags.count(tag) > 1})
    if duplicates:
        raise InvalidInput(f"Duplicate items in the list: '{', '.join(duplicates)}'")
    return tags
