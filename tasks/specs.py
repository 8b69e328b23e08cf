"""Build the driver's plain InstanceSpec from an instance row (hypervisors/ never sees the ORM)."""
import dataclasses
import uuid as uuidlib

from compute_platform.compute.selectors_guest_data import instance_guest_spec
from compute_platform.images.models import Image
from hypervisors.base import ImageRef, InstanceSpec

from .volume_manager import instance_boot_volume


def _boot_file_paths(props: dict) -> tuple[str | None, str | None]:
    """The data files of the images the public `kernel_id` / `ramdisk_id` properties name (Glance's AMI
    style), one query for both; the hidden `_kernel_path` / `_ramdisk_path` remain a fallback."""
    wanted = {}
    for key in ("kernel_id", "ramdisk_id"):
        try:
            wanted[key] = uuidlib.UUID(str(props[key]))
        except (KeyError, ValueError):
            continue
    paths = {}
    if wanted:
        rows = dict(Image.objects.filter(id__in=wanted.values()).values_list("id", "properties"))
        paths = {key: (rows.get(image_id) or {}).get("_data_path") for key, image_id in wanted.items()}
    return (paths.get("kernel_id") or props.get("_kernel_path"),
            paths.get("ramdisk_id") or props.get("_ramdisk_path"))


def image_ref(image) -> ImageRef | None:
    """The driver's view of an image row (None for none)."""
    if image is None:
        return None
    props = image.properties or {}
    kernel_path, ramdisk_path = _boot_file_paths(props)
    return ImageRef(id=str(image.id), disk_format=image.disk_format or "raw", path=props.get("_data_path"),
                    kernel_path=kernel_path, ramdisk_path=ramdisk_path)


def instance_spec(instance, image=None, *, vifs=None) -> InstanceSpec:
    """`image`: boot another image than the instance's own (an unshelve boots its snapshot); `vifs`: its NICs
    when the caller knows them (a build of a server made without ports), else read. The rest of the spec (NICs,
    what the guest is told) is the metadata service's too (selectors_guest_data.py)."""
    image = image_ref(image if image is not None else (instance.image if instance.image_id is not None else None))
    # No image: a volume-backed server, booting from its vda volume (whose export the caller mounted).
    boot_volume = instance_boot_volume(str(instance.uuid)) if instance.image_id is None else None
    return dataclasses.replace(instance_guest_spec(instance, vifs=vifs), image=image, boot_volume=boot_volume)
