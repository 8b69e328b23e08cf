from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "compute_platform.network"
    label = "network"
    verbose_name = "Networking"
    default_auto_field = "django.db.models.BigAutoField"
