"""/limits: absolute limits and this project's usage. Quotas are not enforced yet, so every
maximum is -1 (unlimited) rather than a number the platform would not honour."""
from rest_framework.response import Response

from compute_platform.compute import selectors

from ..common.views import OpenStackView
from . import schemas


class LimitsView(OpenStackView):
    @schemas.limits_show
    def get(self, request):
        usage = selectors.project_usage(project_id=self.context.project_id)
        unlimited = ("maxTotalInstances", "maxTotalCores", "maxTotalRAMSize", "maxServerMeta", "maxImageMeta",
                     "maxPersonality", "maxPersonalitySize", "maxTotalKeypairs", "maxServerGroups",
                     "maxServerGroupMembers", "maxSecurityGroups", "maxSecurityGroupRules",
                     "maxTotalFloatingIps")
        absolute = {k: -1 for k in unlimited}
        absolute.update({"totalInstancesUsed": usage["instances"], "totalCoresUsed": usage["cores"],
                         "totalRAMUsed": usage["ram"], "totalServerGroupsUsed": 0,
                         "totalSecurityGroupsUsed": 0, "totalFloatingIpsUsed": 0})
        return Response({"limits": {"rate": [], "absolute": absolute}})
