"""Request-wide middleware: an OpenStack request id on every request; header limits answered in JSON."""
import logging
import uuid

from django.conf import settings
from django.http import JsonResponse

from .errors import error_body

logger = logging.getLogger("api.request")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = f"req-{uuid.uuid4()}"
        response = self.get_response(request)
        response["X-OpenStack-Request-ID"] = request.request_id
        if request.path.startswith("/compute/"):
            response["X-Compute-Request-ID"] = request.request_id
        if response.status_code >= 500:
            logger.error("%s %s -> %s (%s)", request.method, request.path, response.status_code, request.request_id)
        return response


class HeaderLimitsMiddleware:
    """A request whose headers exceed the API's bounds (settings.MAX_REQUEST_HEADER_SIZE for one header,
    MAX_REQUEST_HEADERS in all) answers 431 in the OpenStack shape. gunicorn's own limits sit above these
    (compute_platform/gunicorn.conf.py): its error pages are HTML and cannot be templated."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        headers = request.headers
        largest = max((len(name) + len(value) for name, value in headers.items()), default=0)
        if len(headers) > settings.MAX_REQUEST_HEADERS or largest > settings.MAX_REQUEST_HEADER_SIZE:
            message = (f"Request header fields too large: at most {settings.MAX_REQUEST_HEADERS} headers of "
                       f"{settings.MAX_REQUEST_HEADER_SIZE} bytes each.")
            return JsonResponse(error_body(request.path, 431, message), status=431)
        return self.get_response(request)
