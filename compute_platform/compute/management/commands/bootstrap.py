"""Make a fresh database usable: the admin user and project, a member demo, flavors and an image.

Idempotent. The admin password comes from ADMIN_PASSWORD, else it is generated once and kept in
.run/admin-password (mode 600). The last stdout line is JSON with the credentials for run scripts.
"""
import json
import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from compute_platform.compute.models import Flavor
from compute_platform.identity.models import RoleAssignment
from compute_platform.identity.services.projects import project_get_or_create
from compute_platform.identity.services.users import user_create_or_update
from compute_platform.images.models import Image

# Nova's classic m1 flavors plus a tiny one for real TCG guests.
FLAVORS = [
    ("1", "m1.tiny", 1, 512, 1), ("2", "m1.small", 1, 2048, 20), ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80), ("5", "m1.xlarge", 8, 16384, 160), ("42", "m1.nano", 1, 128, 1),
]


def admin_password() -> str:
    if os.environ.get("ADMIN_PASSWORD"):
        return os.environ["ADMIN_PASSWORD"]
    path = settings.RUN_DIR / "admin-password"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create the admin user/project, seed flavors and a demo image (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--admin-user", default=os.environ.get("ADMIN_USER", "admin"))
        parser.add_argument("--no-seed", action="store_true", help="only the admin user and project")

    def handle(self, *args, admin_user="admin", no_seed=False, **kw):
        password = admin_password()
        project = project_get_or_create(name="admin", description="Administrators")
        user_create_or_update(username=admin_user, password=password, project=project, role=RoleAssignment.ADMIN)
        if not no_seed:
            for flavorid, name, vcpus, ram, disk in FLAVORS:
                Flavor.objects.get_or_create(flavorid=flavorid, defaults=dict(
                    name=name, vcpus=vcpus, memory_mb=ram, root_gb=disk))
            if not Image.objects.filter(name="cirros-0.6.2-x86_64-disk").exists():
                Image.objects.create(name="cirros-0.6.2-x86_64-disk", status="active", disk_format="qcow2",
                                     container_format="bare", size=21430272, visibility="public")
        self.stdout.write(f"admin user '{admin_user}' ready on project 'admin'; "
                          f"{Flavor.objects.count()} flavors, {Image.objects.count()} images")
        self.stdout.write(json.dumps({"admin_user": admin_user, "admin_password": password,
                                      "admin_project": "admin"}))
