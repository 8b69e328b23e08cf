from django.db import migrations


class Migration(migrations.Migration):
    """Joins the microversions branch (0005_microversions) with main's merged ones."""

    dependencies = [
        ("compute", "0005_microversions"),
        ("compute", "0007_merge_movesa"),
    ]

    operations = []
