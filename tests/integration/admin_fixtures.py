"""Fixtures of the admin console's tests (test_admin.py, test_console_pages.py): an operator (superuser with
the admin role in project `admin`), logged in, and a flavor. Import them into a test module to use them."""
import pytest
from django.contrib.auth import get_user_model

from compute_platform.compute.models import Flavor
from compute_platform.identity.models import Project, RoleAssignment


@pytest.fixture
def admin_project(db):
    return Project.objects.create(name="admin")


@pytest.fixture
def operator(db, admin_project):
    user = get_user_model().objects.create_superuser("operator", "op@example.com", "pw")
    RoleAssignment.objects.create(user=user, project=admin_project, role=RoleAssignment.ADMIN)
    return user


@pytest.fixture
def op_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def flavor(db):
    return Flavor.objects.create(flavorid="1", name="m1.tiny", vcpus=1, memory_mb=512, root_gb=1)
