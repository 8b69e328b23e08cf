"""The moved tables take this app's names (compute_project -> identity_project, ...). Foreign keys that
point at them follow: PostgreSQL tracks them by table, SQLite rewrites them on RENAME."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0001_initial"),
        ("compute", "0003_identity_and_images_moved_out"),
        ("volumes", "0003_project_moved_to_identity"),
    ]

    operations = [
        migrations.AlterModelTable(name="project", table=None),
        migrations.AlterModelTable(name="roleassignment", table=None),
        migrations.AlterModelTable(name="token", table=None),
    ]
