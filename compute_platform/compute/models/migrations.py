import uuid

from django.db import models


class MigrationStatus:
    """Nova's migration statuses (the subset our moves pass through)."""
    ACCEPTED = "accepted"            # live migration and evacuation: requested, not yet started
    PRE_MIGRATING = "pre-migrating"  # resize and cold migration: the destination is preparing
    MIGRATING = "migrating"
    POST_MIGRATING = "post-migrating"
    RUNNING = "running"              # live migration under way
    FINISHED = "finished"            # resize and cold migration: the guest runs on the destination (VERIFY_RESIZE)
    CONFIRMING = "confirming"
    REVERTING = "reverting"
    CONFIRMED = "confirmed"
    REVERTED = "reverted"
    COMPLETED = "completed"          # live migration done; evacuation done and the source cleaned
    DONE = "done"                    # evacuation done; the source (down) still has the old guest to clean
    ERROR = "error"
    FAILED = "failed"
    CANCELLED = "cancelled"          # live migration aborted (DELETE /servers/{id}/migrations/{mid}, 2.24)
    ALL = (ACCEPTED, PRE_MIGRATING, MIGRATING, POST_MIGRATING, RUNNING, FINISHED, CONFIRMING, REVERTING,
           CONFIRMED, REVERTED, COMPLETED, DONE, ERROR, FAILED, CANCELLED)
    # The move no longer needs anything on either host (claims, mounts, guests).
    CLOSED = (CONFIRMED, REVERTED, COMPLETED, ERROR, FAILED, CANCELLED)


class MigrationType:
    RESIZE = "resize"
    MIGRATION = "migration"
    LIVE = "live-migration"
    EVACUATION = "evacuation"
    ALL = (RESIZE, MIGRATION, LIVE, EVACUATION)


class Migration(models.Model):
    """One move of an instance between hosts (Nova's migrations table), listed by os-migrations.

    Claims: while the move is open, `dest_claimed` means the destination holds the new flavor's resources
    for it; once the guest runs there the instance's own claim moves to the destination and `source_claimed`
    means the source still holds the old flavor's resources (for a revert) until confirm or revert."""

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    instance = models.ForeignKey("compute.Instance", on_delete=models.CASCADE, related_name="migrations")
    migration_type = models.CharField(max_length=16, choices=[(t, t) for t in MigrationType.ALL])
    status = models.CharField(max_length=16, db_index=True, choices=[(s, s) for s in MigrationStatus.ALL])
    source_host = models.ForeignKey("compute.Host", on_delete=models.PROTECT, related_name="+")
    dest_host = models.ForeignKey("compute.Host", on_delete=models.PROTECT, related_name="+")
    old_flavor = models.ForeignKey("compute.Flavor", on_delete=models.PROTECT, related_name="+")
    new_flavor = models.ForeignKey("compute.Flavor", on_delete=models.PROTECT, related_name="+")
    # The resources of each side's claim, copied as the instance copies its flavor's.
    old_vcpus = models.PositiveIntegerField()
    old_memory_mb = models.PositiveIntegerField()
    old_root_gb = models.PositiveIntegerField()
    new_vcpus = models.PositiveIntegerField()
    new_memory_mb = models.PositiveIntegerField()
    new_root_gb = models.PositiveIntegerField()
    dest_claimed = models.BooleanField(default=False)
    source_claimed = models.BooleanField(default=False)
    block_migration = models.BooleanField(default=False)
    # The power state to restore at the end (a stopped server is moved stopped, as Nova's).
    power_on = models.BooleanField(default=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["instance", "status"])]

    def __str__(self):
        return f"{self.migration_type} {self.id} of {self.instance_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status not in MigrationStatus.CLOSED
