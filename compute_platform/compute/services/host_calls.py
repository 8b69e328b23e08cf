"""Synchronous calls to a host's worker (Nova's RPC `call`), for reads only the hypervisor or the host's
kernel can answer. Only web processes call them, never a task."""
import logging

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from compute_platform import tasknames
from compute_platform.tasknames import host_queue

from ..exceptions import ComputeError, Conflict, NotFound
from ..states import VmState

logger = logging.getLogger(__name__)

# What an unreachable broker or result store raises: kombu (publish), redis-py (result), and Celery's
# RuntimeError once its result store's reconnect retries (CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS) run out.
BROKER_ERRORS = (KombuOperationalError, RedisError, ConnectionError, OSError)
SEND_ERRORS = (*BROKER_ERRORS, RuntimeError)


class HostUnavailable(ComputeError):
    code = 503
    fault = "serviceUnavailable"


def host_call(*, context, host: str, task: str, queue: str, kwargs: dict | None = None,
              timeout: float | None = None):
    """Send `task` to `queue` and wait for its answer. HostUnavailable (503) when the broker cannot be
    reached or the host does not answer within `timeout` (HOST_CALL_TIMEOUT): a request never hangs."""
    from compute_platform.celery import app

    timeout = timeout or settings.HOST_CALL_TIMEOUT
    try:
        # One quick attempt: a dead broker must answer 503 now, not after kombu's default retries.
        result = app.send_task(task, queue=queue, kwargs=kwargs or {}, expires=timeout, retry=True,
                               retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                                             "interval_max": 0.5})
    except SEND_ERRORS as exc:
        logger.warning("%s for host %s not sent: broker unreachable: %s (%s)", task, host, exc, context.request_id)
        raise HostUnavailable(f"Host {host} cannot be reached: the message broker is unavailable.")
    try:
        return result.get(timeout=timeout)
    except CeleryTimeout:
        logger.warning("host %s did not answer %s within %.0f s (%s)", host, task, timeout, context.request_id)
        raise HostUnavailable(f"Host {host} did not answer within {timeout:.0f} s.")
    except BROKER_ERRORS as exc:
        logger.warning("answer of host %s to %s lost: result backend unreachable: %s (%s)", host, task, exc,
                       context.request_id)
        raise HostUnavailable(f"Host {host} cannot be reached: the message broker is unavailable.")
    finally:
        try:
            result.forget()
        except BROKER_ERRORS:
            pass  # the result expires by itself (CELERY_RESULT_EXPIRES)


def instance_console_output(*, context, instance, length: int | None) -> str:
    if instance.host_id is None or instance.vm_state in (VmState.BUILDING, VmState.DELETED):
        raise Conflict(f"Cannot 'get_console_output' instance {instance.uuid} while it is in vm_state "
                       f"{instance.vm_state}")
    host = instance.host.name
    return host_call(context=context, host=host, task=tasknames.GET_CONSOLE_OUTPUT, queue=host_queue(host),
                     kwargs={"instance_uuid": str(instance.uuid), "tail_lines": length})


def host_uptime(*, context, host: str) -> str | None:
    """The host's `uptime` line, or None when its driver cannot tell."""
    return host_call(context=context, host=host, task=tasknames.GET_HOST_UPTIME, queue=host_queue(host))
def instance_diagnostics(*, context, instance) -> dict:
    """The driver's Diagnostics of the guest, as a dict (hypervisors.base.Diagnostics' fields). 409 before
    the instance is placed (Nova: InstanceNotReady), 404 when its host has no such guest."""
    if instance.host_id is None or instance.vm_state in (VmState.BUILDING, VmState.DELETED):
        raise Conflict(f"Instance {instance.uuid} is not ready (vm_state {instance.vm_state}).")
    host = instance.host.name
    diagnostics = host_call(context=context, host=host, task=tasknames.GET_DIAGNOSTICS, queue=host_queue(host),
                            kwargs={"instance_uuid": str(instance.uuid)})
    if diagnostics is None:
        raise NotFound(f"Instance {instance.uuid} could not be found on host {host}.")
    return diagnostics
