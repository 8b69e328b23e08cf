"""Server request keys that exist only from (or until) a microversion, validated with Nova's own JSON schema
fragments (nova/api/validation/parameter_types.py): a key outside its versions is a 400, as Nova's
`additionalProperties: False` makes it."""
import jsonschema

from compute_platform.compute.exceptions import BadRequest

from ..common.microversions import DEFAULT_VERSION, parse

# Printable characters (Nova's valid_description_regex): no control characters.
DESCRIPTION = {"type": ["string", "null"], "pattern": r"^[^\x00-\x1f\x7f]*$", "minLength": 0, "maxLength": 255}
TAG = {"type": "string", "pattern": "^[^,/]*$", "minLength": 1, "maxLength": 60}
TAGS = {"type": "array", "items": TAG, "maxItems": 50}
TRUSTED_CERTS = {"type": ["array", "null"], "minItems": 1, "maxItems": 50, "uniqueItems": True,
                 "items": {"type": "string", "minLength": 1}}
HOSTNAME = {"type": "string", "pattern": "^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$", "minLength": 2,
            "maxLength": 63}
FQDN = {"type": "string", "pattern": "^[a-zA-Z0-9-._]*$", "minLength": 1, "maxLength": 255}
# Nova's _block_device_mapping_v2 item (schemas/servers.py), the one copy of its rules: a malformed mapping is
# a 400, as in Nova (serializers.BlockDeviceMappingsField only normalises what passed).
_UUID = {"type": "string", "format": "uuid"}
_BOOLEAN = {"type": ["boolean", "string"], "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes",
            "yes", False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"]}
_STRING_255 = {"type": "string", "maxLength": 255}
_BDM_ITEM = {
    "virtual_name": _STRING_255, "volume_id": _UUID, "snapshot_id": _UUID,
    "volume_size": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1, "maximum": 0x7FFFFFFF},
    "device_name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9._/-]*$"},
    "delete_on_termination": _BOOLEAN, "no_device": {}, "connection_info": {"type": "string", "maxLength": 16777215},
    "source_type": {"type": "string", "enum": ["volume", "image", "snapshot", "blank"]},
    "uuid": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9._-]*$"},
    "image_id": _UUID, "destination_type": {"type": "string", "enum": ["local", "volume"]},
    "guest_format": _STRING_255, "device_type": _STRING_255, "disk_bus": _STRING_255,
    "boot_index": {"type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$"}}


def _bdm_v2(**added) -> dict:
    return {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                       "properties": {**_BDM_ITEM, **added}}}


# Device `tag` from 2.32, gone 2.33-2.41 (Nova's create_v233 builds on 2.19), back at 2.42; `volume_type` 2.67.
BDM_V2 = _bdm_v2()
BDM_V2_TAG = _bdm_v2(tag=TAG)
BDM_V2_VOLUME_TYPE = _bdm_v2(tag=TAG, volume_type={"type": ["string", "null"], "minLength": 0, "maxLength": 255})

# key: [(first version, last version or None, schema or None for "any")], per request kind
CREATE = {
    "description": [("2.19", None, DESCRIPTION)],
    "personality": [("2.1", "2.56", None)],
    "tags": [("2.52", None, TAGS)],
    "trusted_image_certificates": [("2.63", None, TRUSTED_CERTS)],
    "hostname": [("2.90", "2.93", HOSTNAME), ("2.94", None, FQDN)],
    "block_device_mapping_v2": [("2.1", "2.31", BDM_V2), ("2.32", "2.32", BDM_V2_TAG), ("2.33", "2.41", BDM_V2),
                                ("2.42", "2.66", BDM_V2_TAG), ("2.67", None, BDM_V2_VOLUME_TYPE)],
}
UPDATE = {
    "description": [("2.19", None, DESCRIPTION)],
    "hostname": [("2.90", "2.93", HOSTNAME), ("2.94", None, FQDN)],
}


def versioned_keys(request, body: dict, table: dict) -> dict:
    """The keys of `table` found in `body`, checked against the request's version: {key: value}."""
    version = getattr(request, "api_version", DEFAULT_VERSION)
    found = {}
    for key, ranges in table.items():
        if key not in body:
            continue
        for first, last, schema in ranges:
            if parse(first) <= version and (last is None or version <= parse(last)):
                break
        else:
            raise BadRequest(f"Invalid input: additional properties are not allowed ('{key}' was unexpected at "
                             f"microversion {version[0]}.{version[1]})")
        found[key] = validated(key, body[key], schema) if schema is not None else body[key]
    return found


def validated(key: str, value, schema: dict):
    """`value` when it matches `schema`, else Nova's 400."""
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value!r}. {exc.message}") from None
    return value
