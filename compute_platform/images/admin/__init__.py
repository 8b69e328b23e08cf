"""The image pages of the admin console."""
from . import images  # noqa: F401  (registers the ModelAdmin)
