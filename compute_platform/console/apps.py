from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "compute_platform.console"
    label = "console"
    verbose_name = "Operator console"
