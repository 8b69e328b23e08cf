"""Request bodies of the compute API, validated before any service runs."""
import base64
import binascii
import re

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
            value["is_public"] = bool(data.get("os-flavor-access:is_public", True))
            eph = value["ephemeral"]
            if not isinstance(eph, int) or isinstance(eph, bool) or not 0 <= eph <= MAX_INT:
                raise serializers.ValidationError({"OS-FLV-EXT-DATA:ephemeral": "must be a non-negative integer"})
        return value
