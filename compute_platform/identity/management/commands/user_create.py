"""Create or update a user with a role on a project (the project is created if missing).

    manage.py user_create alice --project demo --role member --password s3cret
"""
from django.core.management.base import BaseCommand

from compute_platform.identity.models import RoleAssignment
from compute_platform.identity.services.projects import project_get_or_create
from compute_platform.identity.services.users import user_create_or_update


class Command(BaseCommand):
    help = "Create or update a user with a role on a project."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--project", required=True)
        parser.add_argument("--role", choices=[RoleAssignment.ADMIN, RoleAssignment.MEMBER],
                            default=RoleAssignment.MEMBER)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args, username, project, role, password, email, **kw):
        proj = project_get_or_create(name=project)
        user = user_create_or_update(username=username, password=password, project=proj, role=role, email=email)
        self.stdout.write(f"user {user.username} (id {user.pk}) is {role} on project {proj.name} ({proj.id})")
