"""The host side of trigger_crash_dump (compute API 2.17): the driver injects an NMI."""
import logging

from celery import shared_task

from compute_platform import tasknames
from compute_platform.compute.models import InstanceAction

from .events import instance_event
from .locks import instance_lock
from .runtime import get_driver, this_host

logger = logging.getLogger(__name__)


@shared_task(name=tasknames.TRIGGER_CRASH_DUMP)
def trigger_crash_dump(*, instance_uuid: str, request_id: str):
    host = this_host()
    with instance_lock(instance_uuid):
        # The gate: a redelivery after the action finished does nothing (one NMI per request).
        if InstanceAction.objects.filter(request_id=request_id, finish_time__isnull=False).exists():
            logger.info("trigger_crash_dump of %s skipped: already done (%s)", instance_uuid, request_id)
            return
        with instance_event(request_id=request_id, event="compute_trigger_crash_dump", host=host,
                            what=f"trigger_crash_dump of {instance_uuid}", on_error=None):
            get_driver().trigger_crash_dump(instance_uuid)
