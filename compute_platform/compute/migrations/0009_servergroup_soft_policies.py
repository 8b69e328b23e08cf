from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('compute', '0008_merge_microversions'),
    ]

    operations = [
        migrations.AlterField(
            model_name='servergroup',
            name='policy',
            field=models.CharField(choices=[('affinity', 'affinity'), ('anti-affinity', 'anti-affinity'), ('soft-affinity', 'soft-affinity'), ('soft-anti-affinity', 'soft-anti-affinity')], max_length=32),
        ),
    ]
