"""Hand work to a compute host's queue once the transaction that decided it has committed.

The domain enqueues by task *name* so it never imports `tasks/`; a rolled-back transaction
enqueues nothing, and a worker never sees a row that is not yet committed.
"""
import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def task_enqueue_on_commit(*, task_name: str, queue: str, kwargs: dict) -> None:
    def send():
        from compute_platform.celery import app

        try:
            app.send_task(task_name, kwargs=kwargs, queue=queue)
        except Exception:
            # The change is committed and the client answered; the claimed task_state stays behind
            # and is re-sent by the conductor's sweep (tasks/periodic.py) or the host's recovery.
            logger.exception("could not enqueue %s on %s %s: left for the stale-task sweep", task_name, queue,
                             kwargs)
            return
        logger.debug("enqueued %s on %s %s", task_name, queue, kwargs)

    transaction.on_commit(send)
