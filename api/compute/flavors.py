"""/compute/v2.1/flavors (+ detail); create and delete are admin-only."""
from drf_spectacular.utils import extend_schema_view
from oslo_utils import strutils
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.services.flavors import flavor_create, flavor_delete

from ..common.pagination import next_links, page_params
from ..common.views import OpenStackView, body_of
from . import schemas, serializers
from .view_builders import flavor_body


def _min_filter(params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"Invalid {name} filter [{raw}]") from None  # Nova's words


def _is_public(raw: str | None) -> bool | None:
    """Nova's `is_public`: absent -> public only, `none` -> both, else a boolean."""
    if raw is None:
        return True
    if raw.lower() == "none":
        return None
    try:
        return strutils.bool_from_string(raw, strict=True)
    except ValueError:
        raise BadRequest(f"Invalid is_public filter [{raw}]") from None


class FlavorListView(OpenStackView):
    admin_only, admin_policy = frozenset({"POST"}), "os_compute_api:os-flavor-manage"
    detail = False

    @schemas.flavor_list
    def get(self, request):
        page, params = page_params(request), request.query_params
        flavors = selectors.flavor_list(context=self.context, limit=page.limit, marker=page.marker,
                                        min_ram=_min_filter(params, "minRam"), min_disk=_min_filter(params, "minDisk"),
                                        is_public=_is_public(params.get("is_public")))
        return Response({"flavors": [flavor_body(request, f, detail=self.detail) for f in flavors],
                         **next_links(request, "flavors_links", page=page, items=flavors,
                                      marker_of=lambda f: f.flavorid)})

    @schemas.flavor_create
    def post(self, request):
        data = serializers.FlavorCreate(data=body_of(request, "flavor"))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        flavor = flavor_create(name=v["name"], flavorid=v.get("id"), vcpus=v["vcpus"], memory_mb=v["ram"],
                               root_gb=v["disk"], ephemeral_gb=v["ephemeral"], swap=v["swap"],
                               rxtx_factor=v["rxtx_factor"], is_public=v["is_public"],
                               description=v.get("description"))
        return Response({"flavor": flavor_body(request, flavor)})  # Nova answers 200 here


@extend_schema_view(get=schemas.flavor_list_detail)
class FlavorDetailListView(FlavorListView):
    detail = True
    http_method_names = ["get", "head", "options"]  # /flavors/detail is read-only


class FlavorView(OpenStackView):
    admin_only, admin_policy = frozenset({"DELETE"}), "os_compute_api:os-flavor-manage"

    @schemas.flavor_show
    def get(self, request, flavor_id):
        flavor = selectors.flavor_get(flavorid=flavor_id, context=self.context)
        return Response({"flavor": flavor_body(request, flavor)})

    @schemas.flavor_delete
    def delete(self, request, flavor_id):
        flavor_delete(flavor=selectors.flavor_get(flavorid=flavor_id))
        return Response(status=202)  # Nova answers 202 here

