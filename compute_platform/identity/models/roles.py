from django.conf import settings
from django.db import models


class RoleAssignment(models.Model):
    """A user's role on a project. Keystone's default roles: `admin` sees and manages every project;
    `manager` and `member` manage their own; `reader` only reads it."""

    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"
    READER = "reader"
    ROLES = [(ADMIN, "admin"), (MANAGER, "manager"), (MEMBER, "member"), (READER, "reader")]
    # Keystone's default implied roles (`keystone-manage bootstrap`): admin -> manager -> member -> reader.
    # A token carries a role's whole chain, as Keystone's does.
    IMPLIES = {ADMIN: MANAGER, MANAGER: MEMBER, MEMBER: READER}

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=16, choices=ROLES, default=MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project", "role"], name="uniq_role_assignment")]

    def __str__(self):
        return f"{self.user} {self.role} on {self.project}"

    @classmethod
    def with_implied(cls, roles) -> list[str]:
        """`roles` plus every role they imply, sorted."""
        out = set()
        for role in roles:
            while role and role not in out:
                out.add(role)
                role = cls.IMPLIES.get(role)
        return sorted(out)
