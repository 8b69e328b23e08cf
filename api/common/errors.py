"""Errors in the OpenStack shapes.

Nova/Glance: `{"itemNotFound": {"code": 404, "message": "..."}}` (badRequest, forbidden,
conflictingRequest, computeFault...). Keystone: `{"error": {"code": 401, "title": "Unauthorized",
"message": "..."}}`. Every error a client can cause answers 4xx with a message, never a 500.
"""
import logging

from django import db
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from compute_platform.compute.exceptions import ComputeError

logger = logging.getLogger(__name__)

NOVA_FAULTS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
               405: "HTTPMethodNotAllowed", 406: "HTTPNotAcceptable", 409: "conflictingRequest",
               413: "overLimit", 415: "HTTPUnsupportedMediaType", 503: "serviceUnavailable"}
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Request Entity Too Large",
          415: "Unsupported Media Type", 431: "Request Header Fields Too Large", 500: "Internal Server Error"}
# oslo.middleware's sizelimit (in front of Nova and Keystone) says this for a body over the limit.
TOO_LARGE = "Request is too large."


# Neutron's generic error types (webob's class names), for errors that carry no type of their own.
NEUTRON_TYPES = {400: "HTTPBadRequest", 403: "HTTPForbidden", 404: "HTTPNotFound", 405: "HTTPMethodNotAllowed",
                 406: "HTTPNotAcceptable", 409: "HTTPConflict", 413: "HTTPRequestEntityTooLarge",
                 415: "HTTPUnsupportedMediaType", 503: "HTTPServiceUnavailable"}
NOVA_FAULT_NAMES = frozenset(NOVA_FAULTS.values()) | {"computeFault", "notImplemented"}


def error_body(path: str, code: int, message: str, fault: str | None = None) -> dict:
    # 401s come from the token check, which answers in Keystone's shape everywhere (keystonemiddleware).
    if path.startswith("/identity") or code == 401:
        return {"error": {"code": code, "title": TITLES.get(code, "Error"), "message": message}}
    typed = fault if fault and fault not in NOVA_FAULT_NAMES and fault[0].isupper() else None
    if path.startswith("/network"):
        return {"NeutronError": {"type": typed or NEUTRON_TYPES.get(code, "HTTPInternalServerError"),
                                 "message": message, "detail": ""}}
    # A network service error raised inside a compute request answers in Nova's shape.
    return {(not typed and fault) or NOVA_FAULTS.get(code, "computeFault"): {"code": code, "message": message}}


def _flatten(detail, prefix="") -> list[str]:
    """DRF's nested validation detail as readable lines: `server.name: This field is required.`"""
    if isinstance(detail, dict):
        return [line for k, v in detail.items() for line in _flatten(v, f"{prefix}{k}." if k != "non_field_errors" else prefix)]
    if isinstance(detail, list):
        return [line for v in detail for line in _flatten(v, prefix)]
    return [f"{prefix.rstrip('.')}: {detail}" if prefix else str(detail)]


def openstack_exception_handler(exc, context):
    request = context["request"]
    path = request.path
    if isinstance(exc, RequestDataTooBig):  # a JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(error_body(path, 413, TOO_LARGE), status=413)
    if isinstance(exc, ComputeError):
        return Response(error_body(path, exc.code, exc.message, exc.fault), status=exc.code)
    if isinstance(exc, exceptions.ValidationError):
        message = "Invalid input for field/attribute " + "; ".join(_flatten(exc.detail))
        return Response(error_body(path, 400, message), status=400)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response = Response(error_body(path, 401, "The request you have made requires authentication."),
                            status=401)
        response["WWW-Authenticate"] = f'Keystone uri="{request.build_absolute_uri("/identity")}"'
        return response
    if isinstance(exc, exceptions.APIException):
        code = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else "; ".join(_flatten(exc.detail))
        if isinstance(exc, exceptions.ParseError):
            message = f"Malformed request body: {message}"
        return Response(error_body(path, code, str(message)), status=code)
    from django.http import Http404

    if isinstance(exc, Http404):
        return Response(error_body(path, 404, "The resource could not be found."), status=404)
    if isinstance(exc, (db.OperationalError, db.InterfaceError)):
        # The database is unreachable (restarting, failing over): the client may retry, as with a broker outage.
        logger.warning("database unavailable on %s (%s): %s", path, getattr(request, "request_id", "-"), exc)
        response = Response(error_body(path, 503, "The service is temporarily unavailable: its database cannot "
                                                  "be reached. Retry later."), status=503)
        response["Retry-After"] = "5"
        return response
    logger.exception("unhandled error on %s (%s)", path, getattr(request, "request_id", "-"))
    return Response(error_body(path, 500, "Unexpected API Error. Please report this with the request id "
                                          f"{getattr(request, 'request_id', '')}."), status=500)


def json_400(request, exception=None):
    """Django's own 400s, outside DRF (a SuspiciousOperation such as a body too large for a non-API view)."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body(request.path, 413, TOO_LARGE), status=413)
    return JsonResponse(error_body(request.path, 400, "Bad request."), status=400)


def json_403(request, exception=None):
    return JsonResponse(error_body(request.path, 403, "Forbidden."), status=403)


def json_404(request, exception=None):
    return JsonResponse(error_body(request.path, 404, "The resource could not be found."), status=404)


def json_500(request):
    return JsonResponse(error_body(request.path, 500, "Unexpected API Error."), status=500)
