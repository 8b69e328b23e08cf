from django.apps import AppConfig


class ComputeConfig(AppConfig):
    name = "compute_platform.compute"
    label = "compute"
    verbose_name = "Compute"
