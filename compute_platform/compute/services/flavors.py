import uuid

from django.db import IntegrityError, transaction

from ..exceptions import Conflict
from ..models import Flavor


def flavor_create(*, name: str, vcpus: int, memory_mb: int, root_gb: int, flavorid: str | None = None,
                  ephemeral_gb: int = 0, swap: int = 0, rxtx_factor: float = 1.0, is_public: bool = True,
                  description: str | None = None) -> Flavor:
    flavorid = flavorid or str(uuid.uuid4())
    try:
        with transaction.atomic():
            return Flavor.objects.create(flavorid=flavorid, name=name, vcpus=vcpus, memory_mb=memory_mb,
                                         root_gb=root_gb, ephemeral_gb=ephemeral_gb, swap=swap,
                                         rxtx_factor=rxtx_factor, is_public=is_public, description=description)
    except IntegrityError:
        raise Conflict(f"Flavor with name {name} or ID {flavorid} already exists.")


def flavor_delete(*, flavor: Flavor) -> None:
    # Instances keep their own copy of the sizes, so a flavor in use can still go; PROTECT on the
    # foreign key would refuse it, so such flavors are hidden rather than removed.
    if flavor.instances.exists():
        raise Conflict(f"Flavor {flavor.flavorid} is in use by instances and cannot be deleted.")
    flavor.delete()
