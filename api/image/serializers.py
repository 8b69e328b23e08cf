"""Request bodies of the image API, validated before any service runs."""
from rest_framework import serializers

DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]


class ImageCreate(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    disk_format = serializers.ChoiceField(choices=DISK_FORMATS, required=False)
    container_format = serializers.ChoiceField(choices=CONTAINER_FORMATS, required=False)
    min_disk = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    min_ram = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    protected = serializers.BooleanField(required=False)
    visibility = serializers.ChoiceField(choices=["public", "private", "shared", "community"], required=False)
