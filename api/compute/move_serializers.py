"""Request bodies of rebuild, createImage, rescue, lock and os-resetState (moves A)."""
from rest_framework import serializers

from .serializers import MetadataField, _ref_id


class Rebuild(serializers.Serializer):
    imageRef = serializers.CharField()
    name = serializers.CharField(required=False, max_length=255, trim_whitespace=False)
    metadata = MetadataField(required=False)
    adminPass = serializers.CharField(required=False)
    # Accepted so real clients' bodies validate (Nova: preserve_ephemeral, key_name 2.54, user_data 2.57).
    preserve_ephemeral = serializers.BooleanField(required=False)
    accessIPv4 = serializers.CharField(required=False, allow_blank=True)
    accessIPv6 = serializers.CharField(required=False, allow_blank=True)

    def validate_imageRef(self, value):
        return _ref_id(value)

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("name must not be blank")
        return value


class CreateImage(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    metadata = MetadataField(required=False)


class Rescue(serializers.Serializer):
    rescue_image_ref = serializers.CharField(required=False)
    adminPass = serializers.CharField(required=False)

    def validate_rescue_image_ref(self, value):
        return _ref_id(value)


class Lock(serializers.Serializer):
    locked_reason = serializers.CharField(required=False, max_length=255)


class ResetState(serializers.Serializer):
    state = serializers.ChoiceField(choices=["active", "error"])
