"""Hand work to a compute host's queue once the transaction that decided it has committed.

The domain enqueues by task *name* so it never imports `tasks/`; a rolled-back transaction
enqueues nothing, and a worker never sees a row that is not yet committed. A publish that fails
(broker unreachable) is kept in DispatchBacklog and re-sent by the conductor when the broker is back.
"""
import logging

from django.db import transaction

from ..models import DispatchBacklog

logger = logging.getLogger(__name__)


def task_send(*, task_name: str, queue: str, kwargs: dict, **options) -> None:
    """Publish one fire-and-forget task. `ignore_result`: otherwise Celery subscribes to the result of every
    message it sends, a Redis round trip per publish and ~20 s of retries when the backend is down."""
    from compute_platform.celery import app

    app.send_task(task_name, kwargs=kwargs, queue=queue, ignore_result=True, **options)


def task_send_or_keep(*, task_name: str, queue: str, kwargs: dict, **options) -> None:
    """Publish one task now (after the commit); if the broker refuses, keep it in the dispatch backlog."""
    try:
        task_send(task_name=task_name, queue=queue, kwargs=kwargs, **options)
    except Exception as exc:
        # The change is committed and the client answered; the message waits in the database for the
        # broker's return (the conductor's broker watch), or for the host's recovery or the stale sweep.
        logger.warning("could not enqueue %s on %s %s (%s): kept in the dispatch backlog", task_name, queue,
                       kwargs, exc)
        dispatch_backlog_add(task_name=task_name, queue=queue, kwargs=kwargs)
        return
    logger.debug("enqueued %s on %s %s", task_name, queue, kwargs)


def task_enqueue_on_commit(*, task_name: str, queue: str, kwargs: dict) -> None:
    transaction.on_commit(lambda: task_send_or_keep(task_name=task_name, queue=queue, kwargs=kwargs))


def dispatch_backlog_add(*, task_name: str, queue: str, kwargs: dict) -> None:
    try:
        DispatchBacklog.objects.create(task_name=task_name, queue=queue, kwargs=kwargs)
    except Exception:
        # The database is gone too: the claimed state is still there once it is back, for the sweeps.
        logger.exception("could not keep %s on %s %s in the dispatch backlog", task_name, queue, kwargs)


def dispatch_backlog_resend(*, limit: int = 1000) -> int:
    """Re-send kept messages, oldest first; stop at the first failure (the broker is still away).
    Returns how many were sent. A row is deleted only after its publish succeeded."""
    sent = 0
    for row in DispatchBacklog.objects.order_by("id")[:limit]:
        try:
            task_send(task_name=row.task_name, queue=row.queue, kwargs=row.kwargs)
        except Exception as exc:
            logger.warning("dispatch backlog: broker still unreachable (%s); %s left", exc,
                           DispatchBacklog.objects.count())
            break
        DispatchBacklog.objects.filter(pk=row.pk).delete()
        logger.warning("dispatch backlog: re-sent %s on %s %s", row.task_name, row.queue, row.kwargs)
        sent += 1
    return sent
