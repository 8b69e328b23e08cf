"""OpenAPI declarations of the compute API's admin views of the hosts: hypervisors, services, availability
zones (documentation-only serializers and one `extend_schema` per operation, applied in hosts.py)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from ..common.schemas import ADMIN_ONLY, UNSCOPED, doc_serializer, nova_errors
from .schemas import ISO_NO_ZONE, TAGS


# --- hypervisors, services, availability zones (admin views of the hosts) ------------------------

class HypervisorBasic(serializers.Serializer):
    id = serializers.IntegerField()
    hypervisor_hostname = serializers.CharField()
    state = serializers.CharField(help_text="`up` or `down`.")
    status = serializers.CharField(help_text="`enabled` or `disabled`.")


class HypervisorService(serializers.Serializer):
    host = serializers.CharField()
    id = serializers.IntegerField()
    disabled_reason = serializers.CharField(allow_null=True)


class HypervisorDetail(HypervisorBasic):
    vcpus = serializers.IntegerField()
    memory_mb = serializers.IntegerField()
    local_gb = serializers.IntegerField()
    vcpus_used = serializers.IntegerField()
    memory_mb_used = serializers.IntegerField()
    local_gb_used = serializers.IntegerField()
    hypervisor_type = serializers.CharField()
    hypervisor_version = serializers.IntegerField()
    free_ram_mb = serializers.IntegerField()
    free_disk_gb = serializers.IntegerField()
    current_workload = serializers.IntegerField()
    running_vms = serializers.IntegerField()
    disk_available_least = serializers.IntegerField()
    host_ip = serializers.IPAddressField()
    cpu_info = serializers.CharField(help_text="A JSON document as a string (`{}`).")
    service = HypervisorService()


class HypervisorList(serializers.Serializer):
    hypervisors = HypervisorBasic(many=True)


class HypervisorDetailList(serializers.Serializer):
    hypervisors = HypervisorDetail(many=True)


class HypervisorResponse(serializers.Serializer):
    hypervisor = HypervisorDetail()


class HypervisorStatistics(serializers.Serializer):
    count = serializers.IntegerField()
    vcpus = serializers.IntegerField()
    memory_mb = serializers.IntegerField()
    local_gb = serializers.IntegerField()
    vcpus_used = serializers.IntegerField()
    memory_mb_used = serializers.IntegerField()
    local_gb_used = serializers.IntegerField()
    free_ram_mb = serializers.IntegerField()
    free_disk_gb = serializers.IntegerField()
    current_workload = serializers.IntegerField()
    running_vms = serializers.IntegerField()
    disk_available_least = serializers.IntegerField()


class HypervisorStatisticsResponse(serializers.Serializer):
    hypervisor_statistics = HypervisorStatistics()


hypervisor_list = extend_schema(
    operation_id="compute_hypervisors_list", summary="List hypervisors (admin)", tags=TAGS,
    responses={200: HypervisorList, **nova_errors({403: ADMIN_ONLY})})

hypervisor_list_detail = extend_schema(
    operation_id="compute_hypervisors_list_detail", summary="List hypervisors with details (admin)",
    responses={200: HypervisorDetailList, **nova_errors({403: ADMIN_ONLY})})

hypervisor_statistics = extend_schema(
    operation_id="compute_hypervisors_statistics", summary="Hypervisor totals (admin)", tags=TAGS,
    responses={200: HypervisorStatisticsResponse, **nova_errors({403: ADMIN_ONLY})})

hypervisor_show = extend_schema(
    operation_id="compute_hypervisor_show", summary="Show a hypervisor (admin)", tags=TAGS,
    responses={200: HypervisorResponse, **nova_errors({403: ADMIN_ONLY, 404: "No such hypervisor."})})


class Service(serializers.Serializer):
    id = serializers.IntegerField()
    binary = serializers.CharField(help_text="`nova-compute`")
    host = serializers.CharField()
    zone = serializers.CharField()
    status = serializers.CharField(help_text="`enabled` or `disabled`.")
    state = serializers.CharField(help_text="`up` or `down`.")
    updated_at = serializers.CharField(allow_null=True, help_text=f"Last heartbeat. {ISO_NO_ZONE}")
    disabled_reason = serializers.CharField(allow_null=True)
    forced_down = serializers.BooleanField()


class ServiceList(serializers.Serializer):
    services = Service(many=True)


class ServiceToggleRequest(serializers.Serializer):
    host = serializers.CharField()
    binary = serializers.CharField(required=False, default="nova-compute",
                                   help_text="Only `nova-compute` is accepted.")
    disabled_reason = serializers.CharField(required=False, help_text="Required by `disable-log-reason`.")


class ServiceToggled(serializers.Serializer):
    host = serializers.CharField()
    binary = serializers.CharField()
    status = serializers.CharField(help_text="`enabled` or `disabled`.")
    disabled_reason = serializers.CharField(required=False)


class ServiceToggleResponse(serializers.Serializer):
    service = ServiceToggled()


service_list = extend_schema(
    operation_id="compute_services_list", summary="List compute services (admin)", tags=TAGS,
    parameters=[OpenApiParameter("host", str, description="Only this host's service."),
                OpenApiParameter("binary", str, description="Only this binary (only `nova-compute` exists).")],
    responses={200: ServiceList, **nova_errors({403: ADMIN_ONLY})})

service_update = extend_schema(
    operation_id="compute_service_update", summary="Enable or disable a compute service (admin)", tags=TAGS,
    parameters=[OpenApiParameter("verb", str, OpenApiParameter.PATH,
                                 enum=["enable", "disable", "disable-log-reason"],
                                 description="What to do (microversion 2.1 form).")],
    request=ServiceToggleRequest,
    responses={200: ServiceToggleResponse,
               **nova_errors({400: "A binary other than nova-compute, or `disable-log-reason` without a "
                                   "reason.", 403: ADMIN_ONLY, 404: "Unknown verb or host."})})


class ZoneState(serializers.Serializer):
    available = serializers.BooleanField()


NovaComputeState = doc_serializer("ZoneHostService", {
    "nova-compute": doc_serializer("ZoneHostServiceState", {
        "available": serializers.BooleanField(),
        "active": serializers.BooleanField(),
        "updated_at": serializers.CharField(allow_null=True, help_text=ISO_NO_ZONE),
    })(),
})


class AvailabilityZone(serializers.Serializer):
    zoneName = serializers.CharField()
    zoneState = ZoneState()
    hosts = serializers.DictField(child=NovaComputeState(), allow_null=True,
                                  help_text="Host name -> its services; null except in the admin detail view.")


class AvailabilityZoneList(serializers.Serializer):
    availabilityZoneInfo = AvailabilityZone(many=True)


availability_zone_list = extend_schema(
    operation_id="compute_availability_zones_list", summary="List availability zones", tags=TAGS,
    responses={200: AvailabilityZoneList, **nova_errors({403: UNSCOPED})})

availability_zone_list_detail = extend_schema(
    operation_id="compute_availability_zones_list_detail",
    summary="List availability zones with their hosts (admin)",
    responses={200: AvailabilityZoneList, **nova_errors({403: ADMIN_ONLY})})
