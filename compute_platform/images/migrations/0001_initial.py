"""Images move here from the compute app, rows and all. Only the state moves in this migration: the
table stays `compute_image` until 0002 renames it, after compute (0003) points Instance.image here."""
import uuid

import django.db.models.deletion
from django.db import migrations, models

from compute_platform.migration_ops import relabel_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("compute", "0002_keypairs_server_groups_quotas"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("identity", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Image",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True,
                                                serialize=False)),
                        ("name", models.CharField(blank=True, default="", max_length=255)),
                        ("status", models.CharField(choices=[
                            ("queued", "queued"), ("saving", "saving"), ("active", "active"), ("killed", "killed"),
                            ("deleted", "deleted"), ("deactivated", "deactivated")], default="queued",
                            max_length=16)),
                        ("visibility", models.CharField(choices=[
                            ("public", "public"), ("private", "private"), ("shared", "shared"),
                            ("community", "community")], default="public", max_length=16)),
                        ("disk_format", models.CharField(blank=True, default="qcow2", max_length=16)),
                        ("container_format", models.CharField(blank=True, default="bare", max_length=16)),
                        ("size", models.BigIntegerField(blank=True, null=True)),
                        ("checksum", models.CharField(blank=True, max_length=64, null=True)),
                        ("min_disk", models.PositiveIntegerField(default=0)),
                        ("min_ram", models.PositiveIntegerField(default=0)),
                        ("protected", models.BooleanField(default=False)),
                        ("properties", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("owner", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                    to="identity.project")),
                    ],
                    options={"ordering": ["-created_at"], "db_table": "compute_image"},
                ),
            ],
            database_operations=[],
        ),
        relabel_content_types(models=("image",), from_label="compute", to_label="images"),
    ]
