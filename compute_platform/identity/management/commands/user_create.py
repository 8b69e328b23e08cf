"""Create or update a user with a role on a project (the project is created if missing).

    USER_PASSWORD=s3cret manage.py user_create alice --project demo --role member

The password comes from USER_PASSWORD, else from a prompt on the terminal: never from the command line,
where `ps` shows it to every user of the machine.
"""
import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from compute_platform.identity.models import RoleAssignment
from compute_platform.identity.services.projects import project_get_or_create
from compute_platform.identity.services.users import user_create_or_update

PASSWORD_ENV = "USER_PASSWORD"


def read_password(username: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        raise CommandError(f"set {PASSWORD_ENV} to the password of {username} (or run on a terminal to be asked)")
    password = getpass.getpass(f"Password for {username}: ")
    if not password or password != getpass.getpass("Again: "):
        raise CommandError("the passwords are empty or do not match")
    return password


class Command(BaseCommand):
    help = f"Create or update a user with a role on a project (password from {PASSWORD_ENV} or a prompt)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--project", required=True)
        parser.add_argument("--role", choices=[r for r, _ in RoleAssignment.ROLES],
                            default=RoleAssignment.MEMBER)
        parser.add_argument("--email", default="")

    def handle(self, *args, username, project, role, email, **kw):
        password = read_password(username)
        proj = project_get_or_create(name=project)
        user = user_create_or_update(username=username, password=password, project=proj, role=role, email=email)
        self.stdout.write(f"user {user.username} (id {user.pk}) is {role} on project {proj.name} ({proj.id})")
