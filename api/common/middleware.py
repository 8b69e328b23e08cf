"""Give every request an OpenStack request id, echoed in the response and used in logs and actions."""
import logging
import uuid

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
