"""/network/v2.0/<resources>: list (filters, `fields`, pagination), create, show, update, delete, as Neutron
serves them. One pair of views serves every resource declared in resources.py."""
import functools

from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest
from compute_platform.network import selectors
from compute_platform.network.services import bulk

from ..common.links import base_url
from ..common.pagination import MAX_INTEGER
from ..common.tag_filters import TAG_FILTERS, tag_filters
from ..common.views import OpenStackView, body_of
from . import attributes
from .resources import RESOURCES, project_for_create

PAGING = ("limit", "marker", "page_reverse", "fields", "sort_key", "sort_dir")
TRUE = ("true", "1", "yes", "on")


def _fields(request) -> list[str]:
    return [f for value in request.query_params.getlist("fields") for f in value.split(",") if f]


def _shaped(body: dict, fields: list[str]) -> dict:
    return {k: v for k, v in body.items() if k in fields} if fields else body


def _limit(request) -> int | None:
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return None
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequest(f"Bad limit request: Limit must be an integer, not '{raw}'.")
    if limit < 0 or limit > MAX_INTEGER:
        raise BadRequest(f"Bad limit request: Limit must be an integer 0 or greater and not '{raw}'.")
    return limit or None  # Neutron: limit=0 means no limit


def _links(request, plural: str, items: list, limit: int | None, marker: str | None, reverse: bool) -> dict:
    """Neutron's `<plural>_links`: `next` when the page is full, `previous` when a marker was given."""
    if limit is None or not items:
        return {}
    query = request.query_params.copy()
    url = f"{base_url(request)}{request.path_info}"
    links = []
    more = len(items) >= limit
    if (more and not reverse) or (reverse and marker):
        query.setlist("marker", [str(items[-1].id)])
        query.pop("page_reverse", None)
        links.append({"rel": "next", "href": f"{url}?{query.urlencode()}"})
    if marker or (reverse and more):
        query.setlist("marker", [str(items[0].id)])
        query.setlist("page_reverse", ["True"])
        links.append({"rel": "previous", "href": f"{url}?{query.urlencode()}"})
    return {f"{plural}_links": links} if links else {}


class NetworkView(OpenStackView):
    resource_path = ""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if any("\x00" in v for values in request.query_params.lists() for v in [values[0], *values[1]]):
            raise BadRequest("Query parameters must not contain NUL characters.")

    @property
    def resource(self):
        return RESOURCES[self.resource_path]


class NetworkCollectionView(NetworkView):
    def get(self, request, **kwargs):
        r, params = self.resource, request.query_params
        limit, marker = _limit(request), params.get("marker") or None
        reverse = params.get("page_reverse", "false").lower() in TRUE
        filters = {k: params.getlist(k) for k in params if k not in PAGING and k not in TAG_FILTERS}
        if r.before_list:
            r.before_list(self.context)
        items = selectors.network_resource_list(context=self.context, resource=r.path, filters=filters,
                                                limit=limit, marker=marker, page_reverse=reverse,
                                                tag_filters=tag_filters(params, repeated_adds=True))
        fields = _fields(request)
        return Response({r.plural: [_shaped(r.body(i, self.context.is_admin), fields) for i in items],
                         **_links(request, r.plural, items, limit, marker, reverse)})

    def post(self, request, **kwargs):
        r, data = self.resource, request.data
        if isinstance(data, dict) and r.plural in data and r.singular not in data:
            return self._post_bulk(data[r.plural])
        values = attributes.validated(r.singular, body_of(request, r.singular), create=True)
        project_id = project_for_create(self.context, values)
        row = r.create(self.context, project_id, values)
        return Response({r.singular: self._body(row)}, status=201)

    def _post_bulk(self, items):
        """Neutron's bulk create: every item validated first, then all made in one transaction."""
        r = self.resource
        if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
            raise BadRequest(f"Invalid input: '{r.plural}' must be a non-empty list of {r.singular} objects.")
        creates = []
        for item in items:
            values = attributes.validated(r.singular, item, create=True)
            project_id = project_for_create(self.context, values)
            creates.append(functools.partial(r.create, self.context, project_id, values))
        rows = bulk.network_resources_create_all(creates=creates)
        return Response({r.plural: [self._body(row) for row in rows]}, status=201)

    def _body(self, row) -> dict:
        """The created row's body: read back through the resource's selector, unless the create returned it
        whole (ports: `read_back` False)."""
        r = self.resource
        if r.read_back:
            row = selectors.network_resource_get(context=self.context, resource=r.path, resource_id=row.id)
        return r.body(row, self.context.is_admin)


class NetworkItemView(NetworkView):
    def get(self, request, resource_id, **kwargs):
        r = self.resource
        row = selectors.network_resource_get(context=self.context, resource=r.path, resource_id=resource_id)
        return Response({r.singular: _shaped(r.body(row, self.context.is_admin), _fields(request))})

    def put(self, request, resource_id, **kwargs):
        r = self.resource
        if r.update is None:
            raise BadRequest(f"Resource {r.singular} does not support updates.")
        values = attributes.validated(r.singular, body_of(request, r.singular), create=False)
        row = selectors.network_resource_owned(context=self.context, resource=r.path, resource_id=resource_id)
        r.update(self.context, row, values)
        row = selectors.network_resource_get(context=self.context, resource=r.path, resource_id=resource_id)
        return Response({r.singular: r.body(row, self.context.is_admin)})

    def delete(self, request, resource_id, **kwargs):
        r = self.resource
        row = selectors.network_resource_owned(context=self.context, resource=r.path, resource_id=resource_id)
        r.delete(self.context, row)
        return Response(status=204)
