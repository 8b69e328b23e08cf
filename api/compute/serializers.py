"""Request bodies of the compute API, validated before any service runs."""
import base64
import binascii
import ipaddress
import re

from drf_spectacular.utils import extend_schema_field
from oslo_utils import strutils
from rest_framework import serializers

from .server_request_versions import BDM_V2_VOLUME_TYPE


def _ref_id(value: str) -> str:
    # Nova accepts either an id or a full URL whose last segment is the id.
    return value.rstrip("/").rsplit("/", 1)[-1]


# Nova's parameter_types.metadata: keys of these characters, 1 to 255 long; string values up to 255.
METADATA_KEY = re.compile(r"^[a-zA-Z0-9-_:. ]{1,255}$")


class MetadataField(serializers.DictField):
    """The number of items is a quota (metadata_items), checked by the service, not here."""

    child = serializers.CharField(max_length=255, allow_blank=True, trim_whitespace=False)

    def to_internal_value(self, data):
        if isinstance(data, dict) and any(not isinstance(v, str) for v in data.values()):
            raise serializers.ValidationError("metadata values must be strings")
        value = super().to_internal_value(data)
        for key in value:
            if not METADATA_KEY.match(key):
                raise serializers.ValidationError(
                    f"metadata key {key[:300]!r} must be 1 to 255 characters of letters, digits, '-', '_', ':', "
                    "'.' and space")
        return value


class StringField(serializers.CharField):
    """A JSON string, as Nova's schemas type it: DRF's CharField would take 12345 as "12345"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return super().to_internal_value(data)


def _openapi_property(schema: dict) -> dict:
    """An OpenAPI 3.0 property documenting a JSON-schema one: its first type (nullable when null is allowed),
    its format, and its enum when a string's."""
    types = [schema["type"]] if isinstance(schema.get("type"), str) else schema.get("type") or []
    main = next((t for t in types if t != "null"), None)
    doc = {"type": main} if main else {}
    if "null" in types:
        doc["nullable"] = True
    if "format" in schema:
        doc["format"] = schema["format"]
    if main == "string" and "enum" in schema:
        doc["enum"] = schema["enum"]
    return doc


# Documented from the newest schema, so the document and the rules cannot drift apart.
@extend_schema_field({"type": "array", "items": {"type": "object", "properties": {
    key: _openapi_property(prop) for key, prop in BDM_V2_VOLUME_TYPE["items"]["properties"].items()}}})
class BlockDeviceMappingsField(serializers.Field):
    """Nova's block_device_mapping_v2, normalised for the service: boot_index and volume_size as integers,
    delete_on_termination a boolean. Its rules are Nova's JSON schema (server_request_versions.BDM_V2), which
    the view checks first (versioned_keys); which combinations are served is the service's."""

    def to_internal_value(self, data):
        return [{**m, "boot_index": _int_or_none(m.get("boot_index")),
                 "volume_size": _int_or_none(m.get("volume_size")),
                 "delete_on_termination": _boolean(m.get("delete_on_termination", False), "delete_on_termination")}
                for m in data]


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)  # the schema allows an integer or a string of digits


class ServerCreate(serializers.Serializer):
    name = StringField(max_length=255, trim_whitespace=False)
    imageRef = serializers.CharField(allow_blank=True, required=False, default="")  # "": boot from volume
    flavorRef = serializers.CharField()
    availability_zone = serializers.CharField(required=False, allow_null=True, max_length=255)
    metadata = MetadataField(required=False)
    key_name = serializers.CharField(required=False, allow_null=True, max_length=255)
    user_data = serializers.CharField(required=False, allow_null=True, max_length=65535)
    adminPass = serializers.CharField(required=False)
    accessIPv4 = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    accessIPv6 = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    # [{"uuid": network} | {"port": port}, optional "fixed_ip"], or "auto"/"none" from 2.37 (the view checks).
    networks = serializers.JSONField(required=False)
    security_groups = serializers.ListField(child=serializers.DictField(), required=False)
    config_drive = serializers.JSONField(required=False)
    min_count = serializers.IntegerField(required=False, min_value=1)
    max_count = serializers.IntegerField(required=False, min_value=1)
    block_device_mapping_v2 = BlockDeviceMappingsField(required=False, help_text="Volumes to boot from "
                                                       "(boot_index 0, with an empty imageRef) or attach at build.")
    return_reservation_id = serializers.BooleanField(required=False, help_text="Answer with the "
                                                     "`reservation_id` of the servers instead of the first one.")

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("name must not be blank")
        return value

    def validate_accessIPv4(self, value):
        return _ip_address(value, 4)

    def validate_accessIPv6(self, value):
        return _ip_address(value, 6)

    def validate_imageRef(self, value):
        return _ref_id(value) if value else value

    def validate_flavorRef(self, value):
        return _ref_id(value)

    def validate_networks(self, value):
        if value in ("auto", "none"):
            return value
        if not isinstance(value, list):
            raise serializers.ValidationError("networks must be a list, or 'auto' or 'none' (2.37 and above)")
        for item in value:
            if not isinstance(item, dict) or not set(item) <= {"uuid", "port", "fixed_ip", "tag"}:
                raise serializers.ValidationError("each network is an object with uuid, port, fixed_ip or tag")
            if bool(item.get("uuid")) == bool(item.get("port")) and not (item.get("uuid") and item.get("port")):
                raise serializers.ValidationError("each network needs a uuid or a port")
            for key in ("uuid", "port", "fixed_ip"):
                if item.get(key) is not None and (not isinstance(item[key], str) or "\x00" in item[key]
                                                  or len(item[key]) > 255):
                    raise serializers.ValidationError(f"{key} must be a string")
        return value

    def validate_security_groups(self, value):
        names = []
        for item in value:
            name = item.get("name")
            if not isinstance(name, str) or not name or "\x00" in name or len(name) > 255:
                raise serializers.ValidationError("each security group is an object with a name")
            names.append(name)
        return names

    def validate_config_drive(self, value):
        # Nova takes a boolean or the strings clients send ("true", "True", "", "1").
        if isinstance(value, bool) or value is None:
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise serializers.ValidationError("config_drive must be a boolean")

    def validate_user_data(self, value):
        if value:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise serializers.ValidationError("user_data must be base64 encoded")
        return value


class ServerUpdate(serializers.Serializer):
    """PUT /servers/{id}: the name and access addresses (description and hostname:
    server_request_versions.UPDATE)."""

    name = StringField(max_length=255, trim_whitespace=False, required=False)
    accessIPv4 = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    accessIPv6 = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)

    def validate_accessIPv4(self, value):
        return _ip_address(value, 4)

    def validate_accessIPv6(self, value):
        return _ip_address(value, 6)


class Reboot(serializers.Serializer):
    type = serializers.ChoiceField(choices=["SOFT", "HARD", "soft", "hard"])


class ConsoleOutput(serializers.Serializer):
    length = serializers.IntegerField(required=False, allow_null=True, min_value=-1)


MAX_INT = 2**31 - 1  # Nova's db.MAX_INT: the columns are 32-bit integers


def _ip_address(value: str | None, version: int) -> str | None:
    """An address in its canonical text, as Nova stores it (`0:0:0:0:0:babe:220.12.22.2` -> `::babe:dc0c:1602`).
    Python's own parser: Django's IPv6 validation refuses the 41-character forms Nova accepts."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if address is None or address.version != version:
        raise serializers.ValidationError(f"{value!r} is not a valid IPv{version} address")
    return str(address)


def _boolean(value, name: str) -> bool:
    """Nova's `boolean` parameter type: a JSON boolean or one of oslo's strings ("False", "no", "1", ...)."""
    if isinstance(value, bool):
        return value
    try:
        return strutils.bool_from_string(str(value), strict=True)
    except ValueError:
        raise serializers.ValidationError({name: f"{value!r} is not a boolean"}) from None


class FlavorCreate(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    id = serializers.CharField(required=False, allow_null=True, max_length=255)
    ram = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    vcpus = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    disk = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    swap = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT, default=0)
    rxtx_factor = serializers.FloatField(required=False, min_value=0.0, default=1.0)
    description = serializers.CharField(required=False, allow_null=True, max_length=65535)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if isinstance(data, dict):
            value["ephemeral"] = data.get("OS-FLV-EXT-DATA:ephemeral", 0) or 0
            value["is_public"] = _boolean(data.get("os-flavor-access:is_public", True), "os-flavor-access:is_public")
            eph = value["ephemeral"]
            if not isinstance(eph, int) or isinstance(eph, bool) or not 0 <= eph <= MAX_INT:
                raise serializers.ValidationError({"OS-FLV-EXT-DATA:ephemeral": "must be a non-negative integer"})
        return value


class ExtraSpecsField(serializers.DictField):
    """Nova's flavor extra specs: metadata keys, values strings or numbers (kept as strings), up to 255."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        for key, spec in value.items():
            if not METADATA_KEY.match(key):
                raise serializers.ValidationError(f"extra spec key {key[:300]!r} must be 1 to 255 characters of "
                                                  "letters, digits, '-', '_', ':', '.' and space")
            if isinstance(spec, bool) or not isinstance(spec, (str, int, float)) or len(str(spec)) > 255:
                raise serializers.ValidationError(f"extra spec {key!r}: the value must be a string or a number "
                                                  "of at most 255 characters")
        return value


class ExtraSpecsCreate(serializers.Serializer):
    extra_specs = ExtraSpecsField()


class TenantAccess(serializers.Serializer):
    tenant = serializers.CharField(min_length=1, max_length=255, trim_whitespace=False)


class ImageMetadataBody(serializers.Serializer):
    """`{"metadata": {...}}` or `{"meta": {...}}` (the key given at construction), Nova's metadata rules."""

    def __init__(self, *args, key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[key] = MetadataField()
