"""Project, RoleAssignment, Token (now the identity app's) and Image (the images app's) leave this app's
state. Their tables and rows stay; the foreign keys here point at the same tables, so only the state
changes. (identity 0002 and images 0002 then rename the tables.)"""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("compute", "0002_keypairs_server_groups_quotas"),
        ("identity", "0001_initial"),
        ("images", "0001_initial"),
        # Volume.project must leave compute.Project before it goes.
        ("volumes", "0003_project_moved_to_identity"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="instance", name="project",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="instances",
                                            to="identity.project"),
                ),
                migrations.AlterField(
                    model_name="instance", name="image",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                            to="images.image"),
                ),
                migrations.AlterField(
                    model_name="projectquota", name="project",
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                               related_name="quota", serialize=False, to="identity.project"),
                ),
                migrations.AlterField(
                    model_name="servergroup", name="project",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name="server_groups", to="identity.project"),
                ),
                migrations.DeleteModel(name="Image"),
                migrations.DeleteModel(name="Token"),
                migrations.DeleteModel(name="RoleAssignment"),
                migrations.DeleteModel(name="Project"),
            ],
            database_operations=[],
        ),
    ]
