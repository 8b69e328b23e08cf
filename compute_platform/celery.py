"""The Celery app. Compute work is routed per call to `compute.<host>`; see compute.services.dispatch."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compute_platform.settings")

app = Celery("compute_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live in the top-level `tasks` package, outside any Django app, so list its modules.
app.conf.imports = ("tasks.instances", "tasks.periodic", "tasks.volumes", "tasks.noop", "tasks.moves_a",
                    "tasks.interfaces", "tasks.migrations", "tasks.crash_dump",
                    "tasks.network_push", "tasks.migration_abort")
