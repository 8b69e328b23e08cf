"""/os-instance_usage_audit_log[/{before}] (admin): the state of the instance usage audit of the last
completed month (before `before`, `YYYY-MM-DD HH:MM:SS[.ffffff]`, when given)."""
from datetime import datetime, timezone

from drf_spectacular.utils import extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.selectors_usage import usage_audit_log

from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from ..common.views import OpenStackView
from . import schemas

POLICY = "os_compute_api:os-instance-usage-audit-log"


class AuditLog(fields.Serializer):
    hosts_not_run = fields.ListField(child=fields.CharField())
    log = fields.DictField(child=fields.DictField(), help_text="Per host: state, instances, errors, message.")
    num_hosts = fields.IntegerField()
    num_hosts_done = fields.IntegerField()
    num_hosts_not_run = fields.IntegerField()
    num_hosts_running = fields.IntegerField()
    overall_status = fields.CharField()
    period_beginning = fields.CharField(help_text="`YYYY-MM-DD HH:MM:SS` (UTC).")
    period_ending = fields.CharField(help_text="`YYYY-MM-DD HH:MM:SS` (UTC).")
    total_errors = fields.IntegerField()
    total_instances = fields.IntegerField()


AuditLogList = doc_serializer("InstanceUsageAuditLogs", {"instance_usage_audit_logs": AuditLog()})
AuditLogShow = doc_serializer("InstanceUsageAuditLog", {"instance_usage_audit_log": AuditLog()})


class UsageAuditLogListView(OpenStackView):
    admin_only, admin_policy = True, f"{POLICY}:list"

    @extend_schema(operation_id="compute_instance_usage_audit_log_list", summary="The instance usage audit of "
                   "the last completed month (admin)", tags=schemas.TAGS,
                   responses={200: AuditLogList, **nova_errors({403: ADMIN_ONLY})})
    def get(self, request):
        return Response({"instance_usage_audit_logs": usage_audit_log(before=datetime.now(timezone.utc).replace(tzinfo=None))})


class UsageAuditLogView(OpenStackView):
    admin_only, admin_policy = True, f"{POLICY}:show"

    @extend_schema(operation_id="compute_instance_usage_audit_log_show", summary="The instance usage audit of "
                   "the last month completed before a time (admin)", tags=schemas.TAGS,
                   responses={200: AuditLogShow, **nova_errors({400: "Not a time.", 403: ADMIN_ONLY})})
    def get(self, request, before):
        try:
            when = datetime.strptime(before, "%Y-%m-%d %H:%M:%S.%f" if "." in before else "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise BadRequest(f"Invalid timestamp for date {before}")
        return Response({"instance_usage_audit_log": usage_audit_log(before=when)})
