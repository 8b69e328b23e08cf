"""Volume.project now names identity.Project: the same table, so only the state changes."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("volumes", "0002_volume_deleted_attachment_request"),
        ("identity", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="volume",
                    name="project",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="volumes",
                                            to="identity.project"),
                ),
            ],
            database_operations=[],
        ),
    ]
