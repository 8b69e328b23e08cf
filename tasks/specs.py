"""Build the driver's plain InstanceSpec from an instance row (hypervisors/ never sees the ORM)."""
import base64
import uuid as uuidlib

from compute_platform.images.models import Image
from compute_platform.network.selectors_instances import instance_vifs
from hypervisors.base import ImageRef, InstanceSpec, SecurityGroupRule, VifSpec

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


def instance_spec(instance, image=None) -> InstanceSpec:
    """`image`: boot another image than the instance's own (an unshelve boots its snapshot)."""
    image = image_ref(image if image is not None else (instance.image if instance.image_id is not None else None))
    # No image: a volume-backed server, booting from its vda volume (whose export the caller mounted).
    boot_volume = instance_boot_volume(str(instance.uuid)) if instance.image_id is None else None
    return InstanceSpec(uuid=str(instance.uuid), name=instance.instance_name, vcpus=instance.vcpus,
                        memory_mb=instance.memory_mb, root_gb=instance.root_gb, image=image,
                        metadata=dict(instance.metadata or {}), key_data=instance.key_data,
                        user_data=user_data_text(instance.user_data), vifs=vif_specs(instance.uuid),
                        config_drive=instance.config_drive, boot_volume=boot_volume)


def user_data_text(stored: str | None) -> str | None:
    """The API keeps user data base64-encoded, as Nova does; the guest reads it decoded. Any bytes survive:
    undecodable ones ride as surrogates, which the config drive encodes back."""
    if not stored:
        return None
    return base64.b64decode(stored).decode("utf-8", "surrogateescape")


def vif_spec(values: dict, rules_cache: dict | None = None) -> VifSpec:
    """`rules_cache`: for many ports at once, whose rule lists the selector shares between ports in the same
    groups: each list is turned into rules once."""
    listed = values["security_group_rules"]
    rules = rules_cache.get(id(listed)) if rules_cache is not None else None
    if rules is None:
        rules = tuple(SecurityGroupRule(**rule) for rule in listed)
        if rules_cache is not None:
            rules_cache[id(listed)] = rules
    return VifSpec(**{**values, "security_group_rules": rules})


def vif_specs(instance_uuid) -> tuple[VifSpec, ...]:
    """The instance's NICs as the host plugs them, from its ports (tasks never pass specs around)."""
    return tuple(vif_spec(v) for v in instance_vifs(instance_uuid=instance_uuid))
