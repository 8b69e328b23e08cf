"""Instance tasks on `compute.<host>`. Thin: ids in, the manager does the work.

All are late-acked and rejected on worker loss (settings), so a killed worker's task is delivered
again; the manager's state gates make the repeat a no-op when the work was already done.
"""
from celery import shared_task

from compute_platform import tasknames

from . import manager
from .power_sync import host_sync_power_states


@shared_task(name=tasknames.BUILD_INSTANCE)
def build_instance(*, instance_uuid: str, request_id: str, block_devices: bool = True, ports: bool = True):
    # block_devices, ports: the create gave volumes, ports (a message sent without the flags, as a redrive's,
    # lacks them: look).
    manager.build_instance(instance_uuid=instance_uuid, request_id=request_id, block_devices=block_devices,
                           ports=ports)


@shared_task(name=tasknames.DELETE_INSTANCE)
def delete_instance(*, instance_uuid: str, request_id: str):
    manager.delete_instance(instance_uuid=instance_uuid, request_id=request_id)


def _action_task(task_name: str):
    @shared_task(name=task_name)
    def run(*, instance_uuid: str, request_id: str, action_key: str):
        manager.run_action(instance_uuid=instance_uuid, request_id=request_id, action_key=action_key)
    return run


# One named task per action, so Flower and the logs say what ran; one runner does them all.
stop_instance = _action_task(tasknames.STOP_INSTANCE)
start_instance = _action_task(tasknames.START_INSTANCE)
reboot_instance = _action_task(tasknames.REBOOT_INSTANCE)
pause_instance = _action_task(tasknames.PAUSE_INSTANCE)
unpause_instance = _action_task(tasknames.UNPAUSE_INSTANCE)
suspend_instance = _action_task(tasknames.SUSPEND_INSTANCE)
resume_instance = _action_task(tasknames.RESUME_INSTANCE)


@shared_task(name=tasknames.SYNC_POWER_STATES)
def sync_power_states():
    return host_sync_power_states()


@shared_task(name=tasknames.GET_HOST_UPTIME, ignore_result=False)
def get_host_uptime():
    return manager.host_uptime()


@shared_task(name=tasknames.GET_CONSOLE_OUTPUT, ignore_result=False)
def get_console_output(*, instance_uuid: str, tail_lines: int | None = None):
    return manager.console_output(instance_uuid=instance_uuid, tail_lines=tail_lines)


@shared_task(name=tasknames.GET_DIAGNOSTICS, ignore_result=False)
def get_diagnostics(*, instance_uuid: str):
    return manager.diagnostics(instance_uuid=instance_uuid)
