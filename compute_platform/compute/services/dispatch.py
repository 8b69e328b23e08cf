"""Hand work to a compute host's queue once the transaction that decided it has committed.

The domain enqueues by task *name* so it never imports `tasks/`; a rolled-back transaction
enqueues nothing, and a worker never sees a row that is not yet committed.
"""
import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def host_queue(host_name: str) -> str:
    return f"compute.{host_name}"


def task_enqueue_on_commit(*, task_name: str, queue: str, kwargs: dict) -> None:
    def send():
        from compute_platform.celery import app

        app.send_task(task_name, kwargs=kwargs, queue=queue)
        logger.debug("enqueued %s on %s %s", task_name, queue, kwargs)

    # robust: if the broker is unreachable the committed request still answers (the error is logged
    # with the task and ids); the host's recovery re-drives instances left in a task_state.
    transaction.on_commit(send, robust=True)
