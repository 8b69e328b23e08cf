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
BACKUP_INSTANCE = "compute.backup_instance"  # createBackup: a snapshot, then the rotation (issue 11)
# --- end moves A ---
# moves (tasks/migrations.py): each step runs on the host named, as Nova's compute manager
PREP_RESIZE = "compute.prep_resize"                    # destination: mount the volumes' exports
RESIZE_INSTANCE = "compute.resize_instance"            # source: power off, hand the disk over
FINISH_RESIZE = "compute.finish_resize"                # destination: start the guest (VERIFY_RESIZE)
CONFIRM_RESIZE = "compute.confirm_resize"              # source: remove the old guest, release its mounts
REVERT_RESIZE = "compute.revert_resize"                # destination: remove the new guest, release its mounts
FINISH_REVERT_RESIZE = "compute.finish_revert_resize"  # source: start the old guest again
PRE_LIVE_MIGRATION = "compute.pre_live_migration"      # destination: mount the volumes' exports
LIVE_MIGRATION = "compute.live_migration"              # source: move the running guest, release its mounts
EVACUATE_INSTANCE = "compute.evacuate_instance"        # destination: rebuild from the image, volumes attached

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

# --- compute.<host>: NICs (os-interface attach/detach, host calls) -------------------------------------
ATTACH_INTERFACE = "compute.attach_interface"
DETACH_INTERFACE = "compute.detach_interface"

# --- compute.<host>: security group and floating IP changes pushed by the network service (tasks/network_push.py)
REFRESH_SECURITY_GROUPS = "compute.refresh_security_groups"
REFRESH_FLOATING_IPS = "compute.refresh_floating_ips"  # the network service's floating IP push (NAT)
# wt-netperf: a remote group's members changed: the host reloads its group sets (coalesced: one pending per host)
REFRESH_GROUP_MEMBERS = "compute.refresh_group_members"

# --- compute.<host>: live migration abort (DELETE /servers/{id}/migrations/{mid}, 2.24; tasks/migration_abort.py) ---
LIVE_MIGRATION_ABORT = "compute.live_migration_abort"  # source: stop the live migration under way
