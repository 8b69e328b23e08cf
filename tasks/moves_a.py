"""Rebuild, snapshot, shelve and rescue tasks on `compute.<host>`: one named task per operation (so Flower
and the logs say what ran), each thin (ids in) over its manager in tasks/rebuilds.py, snapshots.py,
shelving.py, rescues.py; and the conductor's shelved-offload sweep."""
from celery import shared_task
from django.conf import settings

from compute_platform import tasknames
from compute_platform.compute.move_rules import MOVE_RULES
from compute_platform.compute.services.instance_shelve import instances_offload_shelved

from .move_recovery import MOVE_WORK


def _move_task(task_name: str, work):
    @shared_task(name=task_name)
    def run(*, instance_uuid: str, request_id: str | None):
        work(instance_uuid=instance_uuid, request_id=request_id)
    return run


MOVE_TASKS = {key: _move_task(MOVE_RULES[key].task_name, work) for key, work in MOVE_WORK.items()}


@shared_task(name=tasknames.OFFLOAD_SHELVED_INSTANCES)
def offload_shelved_instances():
    if settings.SHELVED_OFFLOAD_TIME <= 0:
        return []  # 0: offloaded by the shelve itself; -1: never
    return instances_offload_shelved(offload_after=settings.SHELVED_OFFLOAD_TIME)
