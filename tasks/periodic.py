"""Cluster-wide periodic tasks, sent by Celery beat to the `conductor` queue."""
from celery import shared_task

from compute_platform.compute.models import Host
from compute_platform.compute.services.dispatch import host_queue
from compute_platform.compute.services.identity import tokens_purge_expired
from compute_platform.celery import app


@shared_task(name="conductor.sync_power_states_all_hosts")
def sync_power_states_all_hosts():
    """Fan out one power sync to each live host's own queue (only a host's worker sees its guests)."""
    sent = []
    for host in Host.objects.filter(enabled=True):
        if host.is_up:
            app.send_task("compute.sync_power_states", queue=host_queue(host.name), expires=60)
            sent.append(host.name)
    return sent


@shared_task(name="conductor.purge_expired_tokens")
def purge_expired_tokens():
    return tokens_purge_expired()
