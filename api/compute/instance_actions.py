"""/servers/{id}/os-instance-actions: the action log of a server."""
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import NotFound

from ..common.views import OpenStackView
from . import schemas
from .view_builders import action_body


class InstanceActionListView(OpenStackView):
    @schemas.instance_action_list
    def get(self, request, server_id):
        # Actions of a deleted server stay readable, as in Nova.
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id, include_deleted=True)
        return Response({"instanceActions": [action_body(a) for a in selectors.instance_actions(instance=instance)]})


class InstanceActionView(OpenStackView):
    @schemas.instance_action_show
    def get(self, request, server_id, request_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id, include_deleted=True)
        action = selectors.instance_actions(instance=instance).filter(request_id=request_id).first()
        if action is None:
            raise NotFound(f"Action {request_id} on instance {server_id} could not be found.")
        return Response({"instanceAction": action_body(action, events=list(action.events.all()),
                                                       show_traceback=self.context.is_admin)})
