from django.apps import AppConfig


class VolumesConfig(AppConfig):
    name = "compute_platform.volumes"
    label = "volumes"
    verbose_name = "Block storage"
    default_auto_field = "django.db.models.BigAutoField"
