from django.db import models


class InstanceAction(models.Model):
    """One user request against an instance (Nova's os-instance-actions)."""

    instance = models.ForeignKey("compute.Instance", on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=32)
    request_id = models.CharField(max_length=64, unique=True)
    user_id = models.CharField(max_length=64)
    project_id = models.CharField(max_length=64)
    start_time = models.DateTimeField(auto_now_add=True)
    finish_time = models.DateTimeField(null=True, blank=True)
    # Nova sets "Error" here when any event of the action failed.
    message = models.CharField(max_length=255, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_time", "-id"]

    def __str__(self):
        return f"{self.action} {self.request_id}"


class InstanceActionEvent(models.Model):
    """A step of an action as carried out somewhere (scheduler, a compute host)."""

    action = models.ForeignKey(InstanceAction, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=64)
    host = models.CharField(max_length=255, blank=True, default="")
    start_time = models.DateTimeField()
    finish_time = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=16, null=True, blank=True)
    traceback = models.TextField(null=True, blank=True)
    details = models.TextField(null=True, blank=True)

    class Meta:
        ordering = ["start_time", "id"]
