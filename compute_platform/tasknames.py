"""Every Celery task name and queue, in one place: the domain enqueues by name (it never imports `tasks/`),
the tasks register under the same names, and beat (settings) schedules them. Plain Python, no Django,
so settings.py can import it."""

# --- queues ------------------------------------------------------------------------------------------
CONDUCTOR_QUEUE = "conductor"   # cluster-wide periodic work (beat's)
VOLUME_QUEUE = "volume"         # the volume service: volume files, consumed by the conductor worker


def host_queue(host: str) -> str:
    """The queue of one compute host's worker: only it can touch its hypervisor and its mounts."""
    return f"compute.{host}"


# --- compute.<host>: one host's instances and mounts -------------------------------------------------
BUILD_INSTANCE = "compute.build_instance"
DELETE_INSTANCE = "compute.delete_instance"
STOP_INSTANCE = "compute.stop_instance"
START_INSTANCE = "compute.start_instance"
REBOOT_INSTANCE = "compute.reboot_instance"
PAUSE_INSTANCE = "compute.pause_instance"
UNPAUSE_INSTANCE = "compute.unpause_instance"
SUSPEND_INSTANCE = "compute.suspend_instance"
RESUME_INSTANCE = "compute.resume_instance"
SYNC_POWER_STATES = "compute.sync_power_states"
GET_CONSOLE_OUTPUT = "compute.get_console_output"
GET_DIAGNOSTICS = "compute.get_diagnostics"  # server diagnostics (issue 11)
TRIGGER_CRASH_DUMP = "compute.trigger_crash_dump"  # microversion 2.17
ATTACH_VOLUME = "compute.attach_volume"
DETACH_VOLUME = "compute.detach_volume"
AUDIT_MOUNTS = "compute.audit_mounts"
MOUNT_STATUS = "compute.mount_status"
GET_HOST_UPTIME = "compute.get_host_uptime"  # a synchronous host call (os-hypervisors/{id}/uptime)
# --- moves A: rebuild, snapshot, shelve, rescue (tasks/moves_a.py) ---
REBUILD_INSTANCE = "compute.rebuild_instance"
SNAPSHOT_INSTANCE = "compute.snapshot_instance"
SHELVE_INSTANCE = "compute.shelve_instance"
SHELVE_OFFLOAD_INSTANCE = "compute.shelve_offload_instance"
UNSHELVE_INSTANCE = "compute.unshelve_instance"
RESCUE_INSTANCE = "compute.rescue_instance"
UNRESCUE_INSTANCE = "compute.unrescue_instance"
# --- end moves A ---

# --- volume: the volume service -----------------------------------------------------------------------
CREATE_VOLUME = "volume.create_volume"
DELETE_VOLUME = "volume.delete_volume"
VOLUME_SERVICE_AUDIT_MOUNTS = "volume.audit_mounts"
VOLUME_SERVICE_MOUNT_STATUS = "volume.mount_status"

# --- conductor: beat's periodic tasks -----------------------------------------------------------------
SYNC_POWER_STATES_ALL_HOSTS = "conductor.sync_power_states_all_hosts"
REDRIVE_STALE_TASKS = "conductor.redrive_stale_tasks"
AUDIT_MOUNTS_ALL_HOSTS = "conductor.audit_mounts_all_hosts"
PURGE_EXPIRED_TOKENS = "conductor.purge_expired_tokens"
OFFLOAD_SHELVED_INSTANCES = "conductor.offload_shelved_instances"  # moves A (shelved_offload_time > 0)

# --- any queue: the benchmark's floor (devtools/bench_floors.py) ---------------------------------------
NOOP = "conductor.noop"
