import django.db.models.deletion
import uuid
from django.db import migrations, models


def host_uuids(apps, schema_editor):
    # One uuid per existing host (AddField's default would give every row the same one).
    Host = apps.get_model("compute", "Host")
    for host in Host.objects.filter(uuid__isnull=True):
        host.uuid = uuid.uuid4()
        host.save(update_fields=["uuid"])


class Migration(migrations.Migration):

    dependencies = [
        ('compute', '0004_dispatch_backlog'),
    ]

    operations = [
        migrations.AddField(
            model_name='host',
            name='uuid',
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(host_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='host',
            name='uuid',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name='instance',
            name='description',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='instance',
            name='hostname',
            field=models.CharField(blank=True, default='', max_length=255),
        ),
        migrations.AddField(
            model_name='instance',
            name='launch_index',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='instance',
            name='scheduler_hints',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='instance',
            name='trusted_certs',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='InstanceTag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tag', models.CharField(max_length=60)),
                ('instance', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tags', to='compute.instance')),
            ],
            options={
                'ordering': ['instance_id', 'tag'],
                'constraints': [models.UniqueConstraint(fields=('instance', 'tag'), name='compute_instance_tag_unique')],
            },
        ),
    ]
