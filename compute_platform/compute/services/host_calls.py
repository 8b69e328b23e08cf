"""Synchronous calls to a host's worker (Nova's RPC `call`), for reads only the hypervisor can answer."""
import logging

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from ..exceptions import ComputeError, Conflict
from ..states import VmState
from .dispatch import host_queue

logger = logging.getLogger(__name__)


class HostUnavailable(ComputeError):
    code = 503
    fault = "serviceUnavailable"


def instance_console_output(*, context, instance, length: int | None) -> str:
    if instance.host_id is None or instance.vm_state in (VmState.BUILDING, VmState.DELETED):
        raise Conflict(f"Cannot 'get_console_output' instance {instance.uuid} while it is in vm_state "
                       f"{instance.vm_state}")
    from compute_platform.celery import app

    result = app.send_task("compute.get_console_output", queue=host_queue(instance.host.name),
                           kwargs={"instance_uuid": str(instance.uuid), "tail_lines": length},
                           expires=settings.HOST_CALL_TIMEOUT)
    try:
        return result.get(timeout=settings.HOST_CALL_TIMEOUT, disable_sync_subtasks=False)
    except CeleryTimeout:
        logger.warning("host %s did not answer console output for %s (%s)", instance.host.name, instance.uuid,
                       context.request_id)
        raise HostUnavailable(f"Compute host {instance.host.name} did not answer within "
                              f"{settings.HOST_CALL_TIMEOUT:.0f} s.")
    finally:
        result.forget()
