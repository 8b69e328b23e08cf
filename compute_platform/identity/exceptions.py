"""Identity errors beyond the shared domain ones (compute_platform.compute.exceptions)."""
from compute_platform.compute.exceptions import ComputeError


class Unauthorized(ComputeError):
    """Keystone's 401: wrong credentials, a disabled user, or no role on the requested project."""

    code = 401
    fault = "error"
