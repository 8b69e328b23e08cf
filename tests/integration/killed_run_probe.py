"""Run by test_killed_run.py as a pytest run of its own (not collected by the suite: no `test_` prefix): one
test on the integration tier's module stack (`api`: gunicorn and a compute worker) that writes the stack's
process ids to $KILLED_RUN_PIDS and then waits to be killed."""
import json
import os
import threading

import pytest

STACK = {"hosts": ["k1"]}


@pytest.fixture(scope="session")
def template_db():
    """The calling run's migrated template (a migration of our own would cost more than the whole probe)."""
    return os.environ["KILLED_RUN_TEMPLATE"]


def test_wait_to_be_killed(api):
    pids = {name: proc.pid for name, proc in api.procs.items()}
    path = os.environ["KILLED_RUN_PIDS"]
    with open(path + ".tmp", "w") as f:
        json.dump(pids, f)
    os.rename(path + ".tmp", path)  # whole or absent: the caller polls for it
    threading.Event().wait(600)  # the caller kills this run long before
