"""Projects, role assignments and tokens move here from the compute app, rows and all.

Only the state moves in this migration: the tables stay `compute_*` until 0002 renames them, after
compute (0003) and volumes (0003) point their foreign keys at this app.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import compute_platform.identity.models.projects
from compute_platform.migration_ops import relabel_content_types

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("compute", "0002_keypairs_server_groups_quotas"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Project",
                    fields=[
                        ("id", models.CharField(default=compute_platform.identity.models.projects._hex_uuid,
                                                editable=False, max_length=64, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=64, unique=True)),
                        ("description", models.TextField(blank=True, default="")),
                        ("domain_id", models.CharField(default="default", max_length=64)),
                        ("enabled", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={"ordering": ["name"], "db_table": "compute_project"},
                ),
                migrations.CreateModel(
                    name="RoleAssignment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("role", models.CharField(choices=[("admin", "admin"), ("member", "member")],
                                                  default="member", max_length=16)),
                        ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                      related_name="role_assignments", to="identity.project")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                   related_name="role_assignments", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "compute_roleassignment",
                        "constraints": [models.UniqueConstraint(fields=("user", "project", "role"),
                                                                name="uniq_role_assignment")],
                    },
                ),
                migrations.CreateModel(
                    name="Token",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("roles", models.JSONField(default=list)),
                        ("methods", models.JSONField(default=list)),
                        ("audit_id", models.CharField(default=compute_platform.identity.models.projects._hex_uuid,
                                                      max_length=32)),
                        ("issued_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField(db_index=True)),
                        ("revoked", models.BooleanField(default=False)),
                        ("project", models.ForeignKey(blank=True, null=True,
                                                      on_delete=django.db.models.deletion.CASCADE,
                                                      related_name="tokens", to="identity.project")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                   related_name="tokens", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "compute_token"},
                ),
            ],
            database_operations=[],
        ),
        relabel_content_types(models=("project", "roleassignment", "token"), from_label="compute", to_label="identity"),
    ]
