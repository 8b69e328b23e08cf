"""The moved table takes this app's name (compute_image -> images_image); Instance.image follows."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("images", "0001_initial"),
        ("compute", "0003_identity_and_images_moved_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="image", table=None),
    ]
