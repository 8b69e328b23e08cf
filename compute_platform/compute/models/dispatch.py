from django.db import models


class DispatchBacklog(models.Model):
    """A task message whose publish failed after its transaction committed (the broker was unreachable).

    Not the truth of what is pending (that is the claimed task_state or status the message carries out),
    only the message, kept so the conductor re-sends it as soon as the broker answers again instead of
    waiting for the stale-task sweep. A re-send is harmless: every task's gate makes a duplicate a no-op.
    """

    task_name = models.CharField(max_length=128)
    queue = models.CharField(max_length=255)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.task_name} -> {self.queue}"
