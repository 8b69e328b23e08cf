"""Request bodies of the volume API, validated before any service runs."""
from rest_framework import serializers

from ..compute.serializers import MetadataField


class VolumeCreate(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, help_text="GiB.")
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)
    multiattach = serializers.BooleanField(required=False, default=False,
                                           help_text="Attachable to several servers at once.")
    availability_zone = serializers.CharField(max_length=255, required=False, allow_null=True)
    metadata = MetadataField(required=False, allow_null=True)  # the CLI sends null when none is given
    volume_type = serializers.CharField(max_length=255, required=False, allow_null=True,
                                        help_text="Accepted and ignored: one type (NFS exports) exists.")
    imageRef = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                     help_text="Make a bootable volume holding this image's disk.")
    # Cinder's other sources; refused with a clear 400 rather than silently making an empty volume.
    snapshot_id = serializers.CharField(required=False, allow_null=True)
    source_volid = serializers.CharField(required=False, allow_null=True)
    backup_id = serializers.CharField(required=False, allow_null=True)

    def validate(self, attrs):
        for key in ("snapshot_id", "source_volid", "backup_id"):
            if attrs.get(key):
                raise serializers.ValidationError({key: "creating a volume from another source is not supported; "
                                                        "only blank volumes and volumes from images"})
        return attrs


class VolumeSetBootable(serializers.Serializer):
    """Cinder's os-set_bootable body: {"bootable": true|false} (or the strings clients send)."""

    bootable = serializers.BooleanField()
