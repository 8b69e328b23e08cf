from django.conf import settings
from django.db import models


class UserDeletion(models.Model):
    """A user Keystone has deleted. The row of Django's user stays, inactive and renamed (so the name may be
    taken again), because servers and volumes it created still reference it, as Nova's keep a dead user id."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="deletion")
    name = models.CharField(max_length=150, help_text="The name the user had.")
    deleted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.name} (deleted)"
