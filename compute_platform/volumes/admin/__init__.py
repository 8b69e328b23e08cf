"""The block-storage pages of the admin console: exports, volumes, attachments, and a per-host mount panel.
Changes go through the same services as the API."""
from . import attachments, exports, volumes  # noqa: F401  (registers the ModelAdmins)
