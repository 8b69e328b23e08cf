"""PUT /servers/{id}: what a server's owner may rename or reword (Nova's compute API update_instance)."""
import logging

from django.db import transaction

from ..exceptions import BadRequest
from ..models import Instance

logger = logging.getLogger(__name__)

_UNSET = object()


def instance_update(*, context, instance: Instance, name=_UNSET, description=_UNSET, hostname=_UNSET,
                    access_ip_v4=_UNSET, access_ip_v6=_UNSET) -> Instance:
    """Set the given fields (a description may be set to None); others stay. The guest is not touched:
    Nova changes the hostname the metadata service reports, not a running guest's."""
    fields = {}
    if name is not _UNSET:
        name = name.strip()  # Nova's normalize_name
        if not name:
            raise BadRequest("Invalid input for field/attribute name: it must not be blank.")
        fields["name"] = name
    if description is not _UNSET:
        fields["description"] = description
    if hostname is not _UNSET:
        fields["hostname"] = hostname
    for key, value in (("access_ip_v4", access_ip_v4), ("access_ip_v6", access_ip_v6)):
        if value is not _UNSET:  # Nova's accessIPv4/v6: what the user says; None clears it
            fields[key] = value
    if fields:
        with transaction.atomic():
            row = Instance.objects.select_for_update().get(pk=instance.pk)
            for key, value in fields.items():
                setattr(row, key, value)
            row.save(update_fields=[*fields, "updated_at"])
        logger.info("instance %s updated (%s) by %s", instance.uuid, ",".join(fields), context.request_id)
    return instance
