"""/compute/v2.1/flavors/{id}/os-extra_specs[/{key}]: reads for the flavor's viewers, writes for admins.
Nova answers 200 to every write (its note: 201/204 would have been right) and echoes the body."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.services.flavors import flavor_extra_spec_delete, flavor_extra_specs_set

from ..common.schemas import ADMIN_ONLY, UNSCOPED, doc_serializer, nova_errors
from ..common.views import OpenStackView
from . import schemas, serializers

ExtraSpecs = doc_serializer("FlavorExtraSpecs", {"extra_specs": fields.DictField(child=fields.CharField())})
# `{key: value}`, as a raw schema: its one property name is the key in the path.
ExtraSpec = {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1, "maxProperties": 1}
NO_FLAVOR = "No such flavor (or a private one the caller has no access to)."
POLICY = "os_compute_api:os-flavor-extra-specs"


class FlavorExtraSpecsView(OpenStackView):
    """`openstack flavor show` reads these to print the flavor's properties."""

    admin_only, admin_policy = frozenset({"POST"}), f"{POLICY}:create"

    @extend_schema(operation_id="compute_flavor_extra_specs_list", summary="List a flavor's extra specs",
                   tags=schemas.TAGS, responses={200: ExtraSpecs, **nova_errors({403: UNSCOPED, 404: NO_FLAVOR})})
    def get(self, request, flavor_id):
        flavor = selectors.flavor_get(flavorid=flavor_id, context=self.context)
        return Response({"extra_specs": dict(flavor.extra_specs or {})})

    @extend_schema(operation_id="compute_flavor_extra_specs_create", summary="Add or replace extra specs (admin)",
                   tags=schemas.TAGS, request=ExtraSpecs,
                   description="Merges the given keys into the flavor's extra specs; numbers are kept as strings. "
                               "Answers 200, as Nova does.",
                   responses={200: ExtraSpecs, **nova_errors({400: "Invalid keys or values.", 403: ADMIN_ONLY,
                                                              404: NO_FLAVOR})})
    def post(self, request, flavor_id):
        data = serializers.ExtraSpecsCreate(data=request.data)
        data.is_valid(raise_exception=True)
        specs = data.validated_data["extra_specs"]
        flavor_extra_specs_set(flavor=selectors.flavor_get(flavorid=flavor_id), specs=specs)
        return Response({"extra_specs": {k: str(v) for k, v in specs.items()}})


class FlavorExtraSpecView(OpenStackView):
    admin_only, admin_policy = frozenset({"PUT", "DELETE"}), f"{POLICY}:update"

    def _get_spec(self, flavor, key: str) -> str:
        specs = flavor.extra_specs or {}
        if key not in specs:
            raise NotFound(f"Flavor {flavor.flavorid} has no extra specs with key {key}.")
        return specs[key]

    @extend_schema(operation_id="compute_flavor_extra_spec_show", summary="Show one extra spec",
                   tags=schemas.TAGS, description="`{key: value}`.",
                   responses={200: ExtraSpec, **nova_errors({403: UNSCOPED, 404: NO_FLAVOR + " Or no such key."})})
    def get(self, request, flavor_id, key):
        flavor = selectors.flavor_get(flavorid=flavor_id, context=self.context)
        return Response({key: self._get_spec(flavor, key)})

    @extend_schema(operation_id="compute_flavor_extra_spec_update", summary="Set one extra spec (admin)",
                   tags=schemas.TAGS, request={"application/json": ExtraSpec},
                   description="The body is `{key: value}`, its one key the one in the path (else 400).",
                   responses={200: ExtraSpec, **nova_errors({400: "Not exactly the path's key, or a bad value.",
                                                             403: ADMIN_ONLY, 404: NO_FLAVOR})})
    def put(self, request, flavor_id, key):
        data = serializers.ExtraSpecsCreate(data={"extra_specs": request.data})
        data.is_valid(raise_exception=True)
        specs = data.validated_data["extra_specs"]
        if len(specs) != 1:
            raise BadRequest("Invalid input: the body must have exactly one extra spec.")
        if key not in specs:
            raise BadRequest("Request body and URI mismatch")
        flavor_extra_specs_set(flavor=selectors.flavor_get(flavorid=flavor_id), specs=specs)
        return Response({key: str(specs[key])})

    @extend_schema(operation_id="compute_flavor_extra_spec_delete", summary="Delete one extra spec (admin)",
                   tags=schemas.TAGS,
                   responses={200: OpenApiResponse(description="Deleted (Nova answers 200 here). No body."),
                              **nova_errors({403: ADMIN_ONLY, 404: NO_FLAVOR + " Or no such key."})})
    def delete(self, request, flavor_id, key):
        flavor_extra_spec_delete(flavor=selectors.flavor_get(flavorid=flavor_id), key=key)
        return Response(status=200)
