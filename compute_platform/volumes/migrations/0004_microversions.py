from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('volumes', '0003_project_moved_to_identity'),
    ]

    operations = [
        migrations.AddField(
            model_name='volumeattachment',
            name='delete_on_termination',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='volumeattachment',
            name='tag',
            field=models.CharField(blank=True, max_length=60, null=True),
        ),
    ]
