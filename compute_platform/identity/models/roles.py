from django.conf import settings
from django.db import models


class RoleAssignment(models.Model):
    """A user's role on a project. `admin` sees and manages every project; `member` its own."""

    ADMIN = "admin"
    MEMBER = "member"
    ROLES = [(ADMIN, "admin"), (MEMBER, "member")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=16, choices=ROLES, default=MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project", "role"], name="uniq_role_assignment")]

    def __str__(self):
        return f"{self.user} {self.role} on {self.project}"
