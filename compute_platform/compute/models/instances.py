import uuid

from django.conf import settings
from django.db import models

from ..states import POWER_STATE_NAMES, PowerState, TaskState, VmState, server_status


def instance_name_for(instance_id: int) -> str:
    # Nova's default instance_name_template, used as the hypervisor's domain name.
    return f"instance-{instance_id:08x}"


class Instance(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="instances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="instances")
    flavor = models.ForeignKey("compute.Flavor", on_delete=models.PROTECT, related_name="instances")
    image = models.ForeignKey("images.Image", null=True, blank=True, on_delete=models.SET_NULL)
    host = models.ForeignKey("compute.Host", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="instances")
    availability_zone = models.CharField(max_length=255, blank=True, null=True)
    # Copied from the flavor at boot, as Nova embeds it: the claim must not change if the flavor does.
    vcpus = models.PositiveIntegerField()
    memory_mb = models.PositiveIntegerField()
    root_gb = models.PositiveIntegerField()
    vm_state = models.CharField(max_length=20, default=VmState.BUILDING, db_index=True,
                                choices=[(s, s) for s in VmState.ALL])
    task_state = models.CharField(max_length=32, null=True, blank=True, db_index=True,
                                  choices=[(s, s) for s in TaskState.ALL])
    power_state = models.PositiveSmallIntegerField(default=PowerState.NOSTATE,
                                                   choices=sorted(POWER_STATE_NAMES.items()))
    # True while the host's resources are claimed for this instance; released exactly once.
    resources_claimed = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    key_name = models.CharField(max_length=255, null=True, blank=True)
    # The public key as it was at boot (Nova copies it: deleting the keypair later changes nothing here).
    key_data = models.TextField(null=True, blank=True)
    # Shared by the servers of one multi-create request (Nova's reservation_id, `r-` + 8 characters).
    reservation_id = models.CharField(max_length=16, null=True, blank=True)
    server_group = models.ForeignKey("compute.ServerGroup", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="members")
    user_data = models.TextField(null=True, blank=True)
    # Nova's accessIPv4/accessIPv6: addresses the user says the server is reached at (not allocated here).
    access_ip_v4 = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    access_ip_v6 = models.GenericIPAddressField(protocol="IPv6", null=True, blank=True)
    # --- moves A: lock (Nova's locked/locked_by/locked_reason) and shelve ---
    # "owner" or "admin" while locked (Nova's locked_by), None when unlocked; `locked` is derived from it.
    locked_by = models.CharField(max_length=8, null=True, blank=True,
                                 choices=[("owner", "owner"), ("admin", "admin")])
    locked_reason = models.CharField(max_length=255, null=True, blank=True)
    # The snapshot a shelved instance is unshelved from (Nova keeps it in system_metadata).
    shelved_image_id = models.UUIDField(null=True, blank=True)
    shelved_at = models.DateTimeField(null=True, blank=True)
    # The image a rescue boots (None: the instance's own), kept so a redriven rescue boots the same one.
    rescue_image_id = models.UUIDField(null=True, blank=True)
    # --- end moves A ---
    # The request asked for a config drive (`config_drive: true`): the host attaches a config-2 ISO.
    config_drive = models.BooleanField(default=False)
    # os-server-password (issue 11): the password the guest posted encrypted with the server's key (Nova keeps it
    # in system_metadata); shown and cleared through the API, never decrypted here.
    encrypted_password = models.TextField(blank=True, default="")
    # --- microversions: what later compute API versions show and take ---
    description = models.TextField(null=True, blank=True)  # 2.19
    # The guest's hostname: from the name (Nova's sanitize_hostname), or asked for (2.90); shown from 2.3.
    hostname = models.CharField(max_length=255, blank=True, default="")
    launch_index = models.PositiveIntegerField(default=0)  # the position in its multi-create (2.3)
    trusted_certs = models.JSONField(null=True, blank=True)  # trusted_image_certificates (2.63)
    scheduler_hints = models.JSONField(default=dict, blank=True)  # as requested (shown from 2.100)
    # --- end microversions ---
    created_at = models.DateTimeField(auto_now_add=True)  # indexed with id: the list's order (Meta)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "vm_state"]), models.Index(fields=["host", "vm_state"]),
                   # The list's order, whole: a page after a marker starts in the index at the marker's row.
                   models.Index(fields=["created_at", "id"], name="compute_instance_list_order")]

    def __str__(self):
        return f"{self.name} ({self.uuid})"

    @property
    def status(self) -> str:
        return server_status(self.vm_state, self.task_state)

    @property
    def locked(self) -> bool:
        return self.locked_by is not None

    @property
    def instance_name(self) -> str:
        return instance_name_for(self.id)


class InstanceFault(models.Model):
    """Why an instance went to ERROR (Nova's `fault` in the server body). The newest one is shown."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="faults")
    code = models.PositiveSmallIntegerField(default=500)
    message = models.CharField(max_length=255)
    details = models.TextField(blank=True, default="")
    host = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
