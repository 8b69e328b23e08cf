"""/api/v1/hosts/{host}/mounts: what a host has mounted and why, from the host itself. Admin only.

Only the host's kernel knows whether an export is mounted there, so this is a synchronous call to the
host's worker (503 when it does not answer); the database's live attachments are shown beside what the
host's MountManager holds, so drift is visible at a glance."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.volumes import selectors
from compute_platform.volumes.services.host_calls import host_mount_audit, host_mount_status

from ..common.schemas import ADMIN_ONLY, nova_errors
from ..common.views import OpenStackView

TAGS = ["admin"]


class DbAttachment(serializers.Serializer):
    attachment_id = serializers.UUIDField()
    volume_id = serializers.UUIDField()
    server_id = serializers.UUIDField()
    device = serializers.CharField()
    status = serializers.CharField()


class MountBody(serializers.Serializer):
    export_id = serializers.CharField()
    export_name = serializers.CharField()
    share = serializers.CharField()
    fstype = serializers.CharField()
    mountpoint = serializers.CharField()
    mounted = serializers.BooleanField(help_text="What the host's /proc/self/mountinfo says.")
    attachments = serializers.ListField(child=serializers.CharField(),
                                        help_text="The host's MountManager set: `<volume id>:<server id>` "
                                                  "(or `op:<volume id>` on the volume service).")
    db_attachments = DbAttachment(many=True, help_text="The database's live attachments on this host.")
    pending_unmount = serializers.CharField(allow_null=True, help_text="Why an unmount awaits the audit.")
    lock_holder = serializers.CharField(allow_null=True)
    fencing_token = serializers.IntegerField(allow_null=True)


class MountsResponse(serializers.Serializer):
    host = serializers.CharField()
    mounts = MountBody(many=True)


class AuditResponse(serializers.Serializer):
    host = serializers.CharField()
    report = serializers.DictField(help_text="mounted, unmounted, busy, failed, stray_unmounted, stale_keys, "
                                             "pruned_keys, missing_keys (added back), checked.")


class HostMountsView(OpenStackView):
    admin_only = True

    @extend_schema(operation_id="admin_host_mounts", summary="A host's export mounts", tags=TAGS,
                   responses={200: MountsResponse, **nova_errors({
                       403: ADMIN_ONLY, 404: "No such host.", 503: "The host's worker did not answer."})})
    def get(self, request, host):
        status = host_mount_status(context=self.context, host=host)
        db = selectors.host_live_attachments_by_export(host=host)
        names = {str(e.pk): (e.name, e.fstype) for e in selectors.export_list()}
        mounts = []
        for m in status:
            name, fstype = names.get(m["export_id"], ("", ""))
            mounts.append({**m, "attachments": list(m["attachments"]), "export_name": name, "fstype": fstype,
                           "db_attachments": db.get(m["export_id"], [])})
        return Response({"host": host, "mounts": mounts})


class HostMountAuditView(OpenStackView):
    admin_only = True

    @extend_schema(operation_id="admin_host_mounts_audit", summary="Audit a host's mounts now", tags=TAGS,
                   request={"application/json": OpenApiTypes.OBJECT},
                   description="Runs the periodic audit on the host at once: retries pending unmounts, unmounts "
                               "what nobody needs, remounts what someone needs, reports keys where the host's "
                               "sets and the database disagree.",
                   responses={200: AuditResponse, **nova_errors({
                       403: ADMIN_ONLY, 404: "No such host.", 503: "The host's worker did not answer."})})
    def post(self, request, host):
        return Response({"host": host, "report": host_mount_audit(context=self.context, host=host)})
