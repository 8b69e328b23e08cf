"""Nova's os-aggregates (admin only): list, create, show, update, delete, and the add_host, remove_host and
set_metadata actions. The uuid shows from microversion 2.41."""
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.selectors_aggregates import aggregate_get, aggregate_list
from compute_platform.compute.services.aggregates import (aggregate_create, aggregate_delete, aggregate_host_add,
                                                          aggregate_host_remove, aggregate_metadata_set,
                                                          aggregate_update)

from ..common.microversions import version_at_least
from ..common.schemas import ADMIN_ONLY, nova_errors
from ..common.timefmt import iso_usec
from ..common.views import OpenStackView

TAGS = ["compute"]
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)
METADATA_KEY = re.compile(r"^[a-zA-Z0-9-_:. ]{1,255}$")


def aggregate_body(request, aggregate, *, members: bool = True) -> dict:
    body = {"id": aggregate.id, "name": aggregate.name, "availability_zone": aggregate.availability_zone,
            "created_at": iso_usec(aggregate.created_at), "updated_at": iso_usec(aggregate.updated_at),
            "deleted_at": None, "deleted": False}
    if members:
        body["hosts"] = [h.name for h in aggregate.hosts.all()]
        body["metadata"] = aggregate.metadata
    if version_at_least(request, "2.41"):
        body["uuid"] = str(aggregate.uuid)
    return body


def _name(value, field: str, *, nullable: bool = False):
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 255 or value != value.strip() or (
            field == "availability_zone" and ":" in value):
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value!r}. It must be a string of "
                         "1 to 255 characters without leading or trailing whitespace.")
    return value


def _object(request, key: str, allowed: set[str]) -> dict:
    data = request.data
    if not isinstance(data, dict) or set(data) != {key} or not isinstance(data[key], dict):
        raise BadRequest(f"Invalid input: the body must be {{'{key}': {{...}}}}.")
    extra = set(data[key]) - allowed
    if extra:
        raise BadRequest(f"Additional properties are not allowed ({', '.join(sorted(extra))} was unexpected)")
    return data[key]


def _show(request, aggregate_id) -> Response:
    return Response({"aggregate": aggregate_body(request, aggregate_get(aggregate_id=aggregate_id))})


class AggregateListView(OpenStackView):
    admin_only = True

    @extend_schema(operation_id="compute_aggregates_list", summary="List host aggregates", tags=TAGS,
                   responses={200: OBJECT, **nova_errors({403: ADMIN_ONLY})})
    def get(self, request):
        return Response({"aggregates": [aggregate_body(request, a) for a in aggregate_list()]})

    @extend_schema(operation_id="compute_aggregate_create", summary="Create a host aggregate", tags=TAGS,
                   request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({400: "Invalid name or zone.", 403: ADMIN_ONLY,
                                                          409: "The name is taken."})})
    def post(self, request):
        body = _object(request, "aggregate", {"name", "availability_zone"})
        if "name" not in body:
            raise BadRequest("Invalid input for field/attribute aggregate: 'name' is a required property")
        aggregate = aggregate_create(name=_name(body["name"], "name"), availability_zone=_name(
            body.get("availability_zone"), "availability_zone", nullable=True))
        return Response({"aggregate": aggregate_body(request, aggregate, members=False)})


class AggregateView(OpenStackView):
    admin_only = True

    @extend_schema(operation_id="compute_aggregate_show", summary="Show a host aggregate", tags=TAGS,
                   responses={200: OBJECT, **nova_errors({400: "Not an integer id.", 403: ADMIN_ONLY,
                                                          404: "No such aggregate."})})
    def get(self, request, aggregate_id):
        return _show(request, aggregate_id)

    @extend_schema(operation_id="compute_aggregate_update", summary="Rename or re-zone a host aggregate",
                   tags=TAGS, request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({400: "Invalid input or zone change.", 403: ADMIN_ONLY,
                                                          404: "No such aggregate.", 409: "The name is taken."})})
    def put(self, request, aggregate_id):
        body = _object(request, "aggregate", {"name", "availability_zone"})
        if not body:
            raise BadRequest("Invalid input for field/attribute aggregate: name or availability_zone is required")
        values = {}
        if "name" in body:
            name = body["name"]  # the update schema allows surrounding spaces; Nova normalizes them away
            values["name"] = _name(name.strip() if isinstance(name, str) else name, "name")
        if "availability_zone" in body:
            values["availability_zone"] = _name(body["availability_zone"], "availability_zone", nullable=True)
        aggregate_update(aggregate_id=aggregate_get(aggregate_id=aggregate_id).id, values=values)
        return _show(request, aggregate_id)

    @extend_schema(operation_id="compute_aggregate_delete", summary="Delete an empty host aggregate", tags=TAGS,
                   responses={200: None, **nova_errors({400: "Not empty, or not an integer id.", 403: ADMIN_ONLY,
                                                        404: "No such aggregate."})})
    def delete(self, request, aggregate_id):
        aggregate_delete(aggregate_id=aggregate_get(aggregate_id=aggregate_id).id)
        return Response(status=200)


def _host(value: dict, key: str) -> str:
    host = value.get("host")
    if set(value) != {"host"} or not isinstance(host, str) or not 1 <= len(host) <= 255:
        raise BadRequest(f"Invalid input for field/attribute {key}: {{'host': <name>}} is required.")
    return host


def _metadata(value: dict) -> dict:
    metadata = value.get("metadata")
    if set(value) != {"metadata"} or not isinstance(metadata, dict):
        raise BadRequest("Invalid input for field/attribute set_metadata: {'metadata': {...}} is required.")
    for key, item in metadata.items():
        if not METADATA_KEY.match(key) or not (item is None or isinstance(item, str) and len(item) <= 255):
            raise BadRequest(f"Invalid input for field/attribute metadata: {key!r}: {item!r}")
    return metadata


ACTIONS = {
    "add_host": lambda pk, v: aggregate_host_add(aggregate_id=pk, host_name=_host(v, "add_host")),
    "remove_host": lambda pk, v: aggregate_host_remove(aggregate_id=pk, host_name=_host(v, "remove_host")),
    "set_metadata": lambda pk, v: aggregate_metadata_set(aggregate_id=pk, metadata=_metadata(v)),
}


class AggregateActionView(OpenStackView):
    admin_only = True

    @extend_schema(operation_id="compute_aggregate_action", summary="add_host, remove_host or set_metadata",
                   tags=TAGS, request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({
                       400: "Invalid input or metadata.", 403: ADMIN_ONLY, 404: "No such aggregate or host.",
                       409: "The host is a member already, or would be in two zones."})})
    def post(self, request, aggregate_id):
        data = request.data
        if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in ACTIONS:
            raise BadRequest("The action body must be one of add_host, remove_host or set_metadata.")
        (key, value), = data.items()
        if not isinstance(value, dict):
            raise BadRequest(f"Invalid input for field/attribute {key}.")
        pk = aggregate_get(aggregate_id=aggregate_id).id
        ACTIONS[key](pk, value)
        return _show(request, aggregate_id)
