"""Users (Django's) and their roles."""
from django.contrib.auth import get_user_model
from django.db import transaction

from ..models import Project, RoleAssignment

User = get_user_model()


@transaction.atomic
def user_create_or_update(*, username: str, password: str, project: Project, role: str,
                          email: str = "") -> "User":
    """Create or update a user with `role` on `project`. Admins also get Django admin access."""
    user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    if role == RoleAssignment.ADMIN:
        user.is_staff = user.is_superuser = True
    user.save()
    RoleAssignment.objects.get_or_create(user=user, project=project, role=role)
    if role == RoleAssignment.ADMIN:
        RoleAssignment.objects.get_or_create(user=user, project=project, role=RoleAssignment.MEMBER)
    return user
