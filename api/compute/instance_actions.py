"""/servers/{id}/os-instance-actions: the action log of a server."""
from django.utils.dateparse import parse_datetime
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.selectors_server_extras import instance_actions_page

from ..common.microversions import version_at_least
from ..common.pagination import next_links, page_params
from ..common.views import OpenStackView
from . import schemas
from .view_builders import action_body


def _time_param(request, key: str):
    raw = request.query_params.get(key)
    if raw is None:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise BadRequest(f"Invalid {key} value: {raw}")
    return parsed


class InstanceActionListView(OpenStackView):
    @schemas.instance_action_list
    def get(self, request, server_id):
        # Actions of a deleted server stay readable from microversion 2.21, as in Nova.
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id,
                                          include_deleted=version_at_least(request, "2.21"))
        if not version_at_least(request, "2.58"):
            actions = selectors.instance_actions(instance=instance)
            return Response({"instanceActions": [action_body(request, a) for a in actions]})
        page = page_params(request)
        since, before = (_time_param(request, key) for key in ("changes-since", "changes-before"))
        if before is not None and not version_at_least(request, "2.66"):
            raise BadRequest("changes-before is available from microversion 2.66")
        if since and before and before < since:
            raise BadRequest("The value of changes-since must be less than or equal to changes-before.")
        actions = instance_actions_page(instance=instance, limit=page.limit, marker=page.marker,
                                        changes_since=since, changes_before=before)
        body = {"instanceActions": [action_body(request, a) for a in actions]}
        links = next_links(request, "links", page=page, items=actions, marker_of=lambda a: a.request_id)
        return Response({**body, **links})


class InstanceActionView(OpenStackView):
    @schemas.instance_action_show
    def get(self, request, server_id, request_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id,
                                          include_deleted=version_at_least(request, "2.21"))
        action = selectors.instance_actions(instance=instance).filter(request_id=request_id).first()
        if action is None:
            raise NotFound(f"Action {request_id} on instance {server_id} could not be found.")
        return Response({"instanceAction": action_body(request, action, events=list(action.events.all()),
                                                       is_admin=self.context.is_admin)})
