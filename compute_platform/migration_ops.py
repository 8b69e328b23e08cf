"""Migration operations shared by the apps that took models over from `compute` (identity, images)."""
from django.db import migrations


def relabel_content_types(*, models: tuple[str, ...], from_label: str, to_label: str) -> migrations.RunPython:
    """Move the content types of `models` from app `from_label` to `to_label` (and back when reversed),
    so permissions granted on them and admin log entries keep pointing at them. A fresh database has
    none yet: post_migrate creates them under the new label."""

    def relabel(source: str, target: str):
        def run(apps, schema_editor):
            ContentType = apps.get_model("contenttypes", "ContentType")
            rows = ContentType.objects.using(schema_editor.connection.alias)
            for model in models:
                if not rows.filter(app_label=target, model=model).exists():
                    rows.filter(app_label=source, model=model).update(app_label=target)
        return run

    return migrations.RunPython(relabel(from_label, to_label), relabel(to_label, from_label))
