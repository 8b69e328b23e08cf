from django.apps import AppConfig


class ComputeConfig(AppConfig):
    name = "compute_platform.compute"
    label = "compute"
    verbose_name = "Compute"

    def ready(self):
        from compute_platform import checks  # noqa: F401  registers the deployment checks
