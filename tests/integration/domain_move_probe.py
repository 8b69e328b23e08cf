"""Run against a fresh database (DATABASE_URL): migrate to the state before identity and images left the
compute app, write rows through that state's models, migrate forward, and print as JSON what the current
models read back; then migrate the move back and count the rows again. test_domain_move.py runs it."""
import hashlib
import json
from datetime import timedelta

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.utils import timezone  # noqa: E402

PRE_MOVE = [("compute", "0002_keypairs_server_groups_quotas"), ("volumes", "0002_volume_deleted_attachment_request")]
DJANGO_APPS = ("contenttypes", "auth", "admin", "sessions")
PROJECT_ID = "a" * 32
TOKEN = "gAAAA-token-issued-before-the-move"
# (table, column) -> the table its foreign key must reference after the move
FOREIGN_KEYS = {
    ("compute_instance", "project_id"): "identity_project", ("compute_instance", "image_id"): "images_image",
    ("compute_projectquota", "project_id"): "identity_project",
    ("compute_servergroup", "project_id"): "identity_project", ("volumes_volume", "project_id"): "identity_project",
    ("identity_roleassignment", "project_id"): "identity_project",
    ("identity_token", "project_id"): "identity_project", ("images_image", "owner_id"): "identity_project",
}


def migrate_to_pre_move() -> None:
    for app in DJANGO_APPS:
        call_command("migrate", app, verbosity=0)
    for app, name in PRE_MOVE:
        call_command("migrate", app, name, verbosity=0)


def write_old_rows() -> None:
    loader = MigrationExecutor(connection).loader
    leaves = [node for node in loader.graph.leaf_nodes() if node[0] in DJANGO_APPS]
    apps = loader.project_state(PRE_MOVE + leaves).apps
    old = lambda model: apps.get_model("compute", model)  # noqa: E731
    ContentType, Permission = apps.get_model("contenttypes", "ContentType"), apps.get_model("auth", "Permission")
    # post_migrate created the moved models' content types and permissions under `compute`, as under the old code.
    token_type = ContentType.objects.get(app_label="compute", model="token")
    perm = Permission.objects.get(codename="change_token", content_type=token_type)
    alice = apps.get_model("auth", "User").objects.create(username="alice", password=make_password("pw"))
    alice.user_permissions.add(perm)
    project = old("Project").objects.create(id=PROJECT_ID, name="alpha")
    old("RoleAssignment").objects.create(user=alice, project=project, role="admin")
    now = timezone.now()
    old("Token").objects.create(token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(), user=alice, project=project,
                                roles=["admin"], methods=["password"], issued_at=now,
                                expires_at=now + timedelta(hours=1))
    image = old("Image").objects.create(name="cirros", status="active", owner=project)
    flavor = old("Flavor").objects.create(flavorid="1", name="m1.tiny", vcpus=1, memory_mb=512, root_gb=1)
    host = old("Host").objects.create(name="node1")
    old("Instance").objects.create(name="vm1", project=project, user=alice, flavor=flavor, image=image, host=host,
                                   vcpus=1, memory_mb=512, root_gb=1)
    old("ProjectQuota").objects.create(project=project, instances=7)
    old("ServerGroup").objects.create(name="web", policy="affinity", project=project, user=alice)
    export = apps.get_model("volumes", "Export").objects.create(name="e1", share="/srv/e1", fstype="bind")
    apps.get_model("volumes", "Volume").objects.create(name="v1", size=1, project=project, user=alice, export=export)


def read_new_rows() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    from compute_platform.compute.models import Instance, ProjectQuota, ServerGroup
    from compute_platform.identity.models import RoleAssignment
    from compute_platform.identity.selectors import token_get
    from compute_platform.identity.services.tokens import token_issue
    from compute_platform.images.models import Image
    from compute_platform.volumes.models import Volume

    instance = Instance.objects.select_related("project", "image").get()
    token = token_get(plaintext=TOKEN)
    alice = get_user_model().objects.get(username="alice")
    _, fresh = token_issue(user=alice, project=instance.project, methods=["password"])  # new ids after the rename
    with connection.cursor() as cursor:
        constraints = {table: connection.introspection.get_constraints(cursor, table)
                       for table in {t for t, _ in FOREIGN_KEYS}}
    references = {f"{table}.{column}": [c["foreign_key"][0] for c in constraints[table].values()
                                        if c["foreign_key"] and c["columns"] == [column]]
                  for table, column in FOREIGN_KEYS}
    return {
        "instance": [instance.name, instance.project.name, instance.image.name],
        "image_owner": Image.objects.get().owner_id,
        "roles": list(RoleAssignment.objects.values_list("user__username", "project__name", "role")),
        "token": [token.user.username, token.project.name, token.is_admin] if token else None,
        "fresh_token_roles": fresh.roles,
        "quota": ProjectQuota.objects.get(project_id=PROJECT_ID).instances,
        "server_group": ServerGroup.objects.get().project.name,
        "volume": Volume.objects.get().project.name,
        "permission": alice.has_perm("identity.change_token"),
        "content_types": sorted(ContentType.objects.filter(model__in=("project", "roleassignment", "token", "image"))
                                .values_list("app_label", "model")),
        "references": references,
    }


def count_after_moving_back() -> dict:
    # Later compute migrations (flavor access, quota classes, ...) depend on the identity app: take compute back to
    # where the move left it first, as an operator rolling the whole release back would.
    call_command("migrate", "compute", "0004_dispatch_backlog", verbosity=0)
    call_command("migrate", "identity", "zero", verbosity=0)
    tables = ("compute_project", "compute_roleassignment", "compute_token", "compute_image", "compute_instance")
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


if __name__ == "__main__":
    migrate_to_pre_move()
    write_old_rows()
    call_command("migrate", verbosity=0)
    result = read_new_rows()
    result["moved_back"] = count_after_moving_back()
    print(json.dumps(result))
