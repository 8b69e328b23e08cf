"""Cinder's version documents (/volume/ and /volume/v3/) and /limits, which `openstack limits show` and
keystoneauth's discovery call. We serve the v3 base behaviour, microversion 3.0, and say so."""
from rest_framework.response import Response

from compute_platform.volumes import selectors

from ..common.links import base_url
from ..common.views import OpenStackView, PublicView
from . import schemas

VOLUME_VERSION = "3.0"  # no Cinder microversion above the base is implemented


def version_v3(request) -> dict:
    return {"id": "v3.0", "status": "CURRENT", "version": VOLUME_VERSION, "min_version": VOLUME_VERSION,
            "updated": "2016-02-08T12:20:21Z",
            "links": [{"rel": "self", "href": f"{base_url(request)}/volume/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.volume+json;version=3"}]}


class VolumeVersionsView(PublicView):
    @schemas.versions_list
    def get(self, request):
        return Response({"versions": [version_v3(request)]})


class VolumeVersionView(PublicView):
    @schemas.version_show
    def get(self, request, **kwargs):
        return Response({"version": version_v3(request)})


class VolumeLimitsView(OpenStackView):
    """Volumes have no quotas here yet: the maxima are -1 (unlimited), the usage is real."""

    @schemas.limits_show
    def get(self, request):
        used = selectors.volume_usage(project_id=self.context.project_id)
        return Response({"limits": {"rate": [], "absolute": {
            "maxTotalVolumes": -1, "maxTotalVolumeGigabytes": -1, "maxTotalSnapshots": -1,
            "maxTotalBackups": -1, "maxTotalBackupGigabytes": -1,
            "totalVolumesUsed": used["volumes"], "totalGigabytesUsed": used["gigabytes"],
            "totalSnapshotsUsed": 0, "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0}}})
