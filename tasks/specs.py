"""Build the driver's plain InstanceSpec from an instance row (hypervisors/ never sees the ORM)."""
from hypervisors.base import ImageRef, InstanceSpec


def instance_spec(instance) -> InstanceSpec:
    image = None
    if instance.image_id is not None:
        props = instance.image.properties or {}
        image = ImageRef(id=str(instance.image_id), disk_format=instance.image.disk_format or "raw",
                         path=props.get("_data_path"), kernel_path=props.get("_kernel_path"),
                         ramdisk_path=props.get("_ramdisk_path"))
    return InstanceSpec(uuid=str(instance.uuid), name=instance.instance_name, vcpus=instance.vcpus,
                        memory_mb=instance.memory_mb, root_gb=instance.root_gb, image=image,
                        metadata=dict(instance.metadata or {}), key_data=instance.key_data,
                        user_data=instance.user_data)
