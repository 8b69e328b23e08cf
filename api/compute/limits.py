"""/limits: the project's quotas as Nova's absolute limits, and what it uses of them."""
from rest_framework.response import Response

from compute_platform.compute.services.quotas import quota_limits, quota_usage

from ..common.views import OpenStackView
from . import schemas
from .quota_versions import LIMITS_REMOVED, without_removed


class LimitsView(OpenStackView):
    @schemas.limits_show
    def get(self, request):
        project_id = self.context.project_id
        limits, usage = quota_limits(project_id=project_id), quota_usage(project_id=project_id)
        absolute = {
            "maxTotalInstances": limits["instances"], "maxTotalCores": limits["cores"],
            "maxTotalRAMSize": limits["ram"], "maxServerMeta": limits["metadata_items"],
            "maxImageMeta": limits["metadata_items"], "maxPersonality": limits["injected_files"],
            "maxPersonalitySize": limits["injected_file_content_bytes"], "maxTotalKeypairs": limits["key_pairs"],
            "maxServerGroups": limits["server_groups"], "maxServerGroupMembers": limits["server_group_members"],
            # No networking here, so nothing to limit.
            "maxSecurityGroups": -1, "maxSecurityGroupRules": -1, "maxTotalFloatingIps": -1,
            "totalInstancesUsed": usage["instances"], "totalCoresUsed": usage["cores"],
            "totalRAMUsed": usage["ram"], "totalServerGroupsUsed": usage["server_groups"],
            "totalSecurityGroupsUsed": 0, "totalFloatingIpsUsed": 0,
        }
        return Response({"limits": {"rate": [], "absolute": without_removed(request, absolute, LIMITS_REMOVED)}})
