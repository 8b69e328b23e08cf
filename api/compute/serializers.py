"""Request bodies of the compute API, validated before any service runs."""
import base64
import binascii
import re

from oslo_utils import strutils
from rest_framework import serializers


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


class ServerCreate(serializers.Serializer):
    name = serializers.CharField(max_length=255, trim_whitespace=False)
    imageRef = serializers.CharField(allow_blank=True)
    flavorRef = serializers.CharField()
    availability_zone = serializers.CharField(required=False, allow_null=True, max_length=255)
    metadata = MetadataField(required=False)
    key_name = serializers.CharField(required=False, allow_null=True, max_length=255)
    user_data = serializers.CharField(required=False, allow_null=True, max_length=65535)
    adminPass = serializers.CharField(required=False)
    accessIPv4 = serializers.IPAddressField(protocol="IPv4", required=False, allow_null=True)
    accessIPv6 = serializers.IPAddressField(protocol="IPv6", required=False, allow_null=True)
    # Accepted so real clients' bodies validate; networking is out of scope for now.
    networks = serializers.JSONField(required=False)
    security_groups = serializers.ListField(required=False)
    min_count = serializers.IntegerField(required=False, min_value=1)
    max_count = serializers.IntegerField(required=False, min_value=1)
    return_reservation_id = serializers.BooleanField(required=False, help_text="Answer with the "
                                                     "`reservation_id` of the servers instead of the first one.")

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("name must not be blank")
        return value

    def validate_imageRef(self, value):
        return _ref_id(value) if value else value

    def validate_flavorRef(self, value):
        return _ref_id(value)

    def validate_user_data(self, value):
        if value:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise serializers.ValidationError("user_data must be base64 encoded")
        return value


class ServerUpdate(serializers.Serializer):
    """PUT /servers/{id}: the name (description and hostname: server_request_versions.UPDATE)."""

    name = serializers.CharField(max_length=255, trim_whitespace=False)


class Reboot(serializers.Serializer):
    type = serializers.ChoiceField(choices=["SOFT", "HARD", "soft", "hard"])


class ConsoleOutput(serializers.Serializer):
    length = serializers.IntegerField(required=False, allow_null=True, min_value=-1)


MAX_INT = 2**31 - 1  # Nova's db.MAX_INT: the columns are 32-bit integers


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
