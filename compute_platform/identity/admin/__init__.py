"""The identity pages of the admin console: projects with their role assignments, and tokens."""
from . import projects, tokens  # noqa: F401  (registers the ModelAdmins)
