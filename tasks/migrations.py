"""Move tasks on `compute.<host>`: thin, ids in (the migration's), the move manager does the step.

Late-acked like every host task: a killed worker's step is delivered again and its gate makes a repeat a no-op.
"""
from celery import shared_task

from compute_platform import tasknames

from . import move_manager


def _step_task(task_name: str, step):
    @shared_task(name=task_name)
    def run(*, migration_id: int, request_id: str):
        step(migration_id=migration_id, request_id=request_id)
    return run


prep_resize = _step_task(tasknames.PREP_RESIZE, move_manager.prep_resize)
resize_instance = _step_task(tasknames.RESIZE_INSTANCE, move_manager.resize_instance)
finish_resize = _step_task(tasknames.FINISH_RESIZE, move_manager.finish_resize)
confirm_resize = _step_task(tasknames.CONFIRM_RESIZE, move_manager.confirm_resize)
revert_resize = _step_task(tasknames.REVERT_RESIZE, move_manager.revert_resize)
finish_revert_resize = _step_task(tasknames.FINISH_REVERT_RESIZE, move_manager.finish_revert_resize)
pre_live_migration = _step_task(tasknames.PRE_LIVE_MIGRATION, move_manager.pre_live_migration)
live_migration = _step_task(tasknames.LIVE_MIGRATION, move_manager.live_migration)
evacuate_instance = _step_task(tasknames.EVACUATE_INSTANCE, move_manager.evacuate_instance)
