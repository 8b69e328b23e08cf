"""Domain errors. The API maps each to its OpenStack fault shape (api/common/errors.py)."""


class ComputeError(Exception):
    code = 500
    fault = "computeFault"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(ComputeError):
    code = 400
    fault = "badRequest"


class Forbidden(ComputeError):
    code = 403
    fault = "forbidden"


class NotFound(ComputeError):
    code = 404
    fault = "itemNotFound"


class Conflict(ComputeError):
    code = 409
    fault = "conflictingRequest"


class NoValidHost(ComputeError):
    """Raised by the scheduler; the instance goes to ERROR with this as its fault."""

    code = 500
    fault = "computeFault"


class NotSupported(ComputeError):
    """Nova's 501 for what this deployment's drivers cannot do (common.raise_feature_not_supported)."""

    code = 501
    fault = "notImplemented"
