"""The OpenStack error shape the compute, image and volume APIs answer with, asserted."""

NOVA_FAULTS = {400: "badRequest", 403: "forbidden", 404: "itemNotFound", 405: "HTTPMethodNotAllowed",
               409: "conflictingRequest", 413: "overLimit", 415: "HTTPUnsupportedMediaType"}


def assert_fault(r, code, message_contains=""):
    """An OpenStack error: one top-level key naming the fault, with the code and a message."""
    assert r.status_code == code, r.text
    body = r.json()
    assert list(body) == [NOVA_FAULTS[code]], body
    fault = body[NOVA_FAULTS[code]]
    assert fault["code"] == code and isinstance(fault["message"], str) and fault["message"], body
    assert message_contains in fault["message"], body
    return fault["message"]
