"""A task that does nothing and answers: the cheapest round trip through the broker and a worker, the
floor `make bench` compares a boot's cost with (devtools/bench_floors.py). Sent to any worker's queue."""
from celery import shared_task

from compute_platform import tasknames


@shared_task(name=tasknames.NOOP, ignore_result=False)
def noop():
    return None
