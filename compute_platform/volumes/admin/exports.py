"""Exports (created, changed and removed through services.exports) and the per-host mount panel."""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from compute_platform.compute.admin.common import admin_context, admin_project_id
from compute_platform.compute.exceptions import ComputeError
from compute_platform.compute.models import Host

from .. import selectors
from ..models import Export
from ..models.volumes import VolumeStatus
from ..services.exports import MOUNT_IDENTITY_FIELDS, export_create, export_delete, export_update
from ..services.host_calls import host_mount_audit, host_mount_status


class ExportForm(forms.ModelForm):
    class Meta:
        model = Export
        fields = ("name", "share", "fstype", "mount_options", "enabled")

    def clean(self):
        from hypervisors.volumes import ExportRef

        data = super().clean()
        try:
            ExportRef(id="form", share=data.get("share") or "", fstype=data.get("fstype") or "nfs",
                      options=data.get("mount_options") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc).replace("export form: ", ""))
        if self.instance.pk and any(f in self.changed_data for f in MOUNT_IDENTITY_FIELDS) and \
                self.instance.volumes.exclude(status=VolumeStatus.DELETED).exists():
            raise forms.ValidationError("This export holds volumes: its share and fstype cannot change.")
        return data


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    form = ExportForm
    list_display = ("name", "share", "fstype", "mount_options", "enabled", "volume_count", "updated_at")
    list_filter = ("fstype", "enabled")
    search_fields = ("name", "share")
    change_list_template = "admin/volumes/export_change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _volumes=Count("volumes", filter=~Q(volumes__status=VolumeStatus.DELETED)))

    @admin.display(description="volumes", ordering="_volumes")
    def volume_count(self, export):
        return export._volumes

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in ExportForm.Meta.fields}
        try:
            if change:
                export_update(export=Export.objects.get(pk=obj.pk), **values)
            else:
                obj.pk = export_create(**values).pk
        except ComputeError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    def delete_model(self, request, obj):
        try:
            export_delete(export=obj)
        except ComputeError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    def delete_queryset(self, request, queryset):
        for export in queryset:
            self.delete_model(request, export)

    # --- the mount panel: what each host has mounted, asked of the host itself ----------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("mounts/", view(self.mount_hosts_view), name="volumes_mount_hosts"),
            path("mounts/<str:host>/", view(self.host_mounts_view), name="volumes_host_mounts"),
        ] + super().get_urls()

    def _context(self, request):
        return admin_context(request, project_id=admin_project_id(request.user) or "")

    def mount_hosts_view(self, request):
        hosts = [(h.name, "up" if h.is_up else "down") for h in Host.objects.order_by("name")]
        hosts.append((settings.VOLUME_SERVICE_HOST, "volume service"))
        return TemplateResponse(request, "admin/volumes/mount_hosts.html", {
            **self.admin_site.each_context(request), "title": "Mounts per host", "opts": self.model._meta,
            "hosts": [(name, state, reverse("admin:volumes_host_mounts", args=[name])) for name, state in hosts]})

    def host_mounts_view(self, request, host):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = self._context(request)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            try:
                report = host_mount_audit(context=context, host=host)
            except ComputeError as exc:
                self.message_user(request, f"Audit of {host}: {exc.message}", level=messages.ERROR)
            else:
                changes = {k: v for k, v in report.items() if v and k != "checked"}
                self.message_user(request, f"Audit of {host}: {report.get('checked', 0)} exports checked; "
                                           f"{changes or 'no drift'}",
                                  level=messages.WARNING if changes else messages.INFO)
            return HttpResponseRedirect(request.path)
        mounts, error = [], None
        try:
            status = host_mount_status(context=context, host=host)
        except ComputeError as exc:
            error = exc.message
        else:
            db = selectors.host_live_attachments_by_export(host=host)
            names = {str(e.pk): e.name for e in selectors.export_list()}
            mounts = [{**m, "export_name": names.get(m["export_id"], ""), "db_attachments": db.get(m["export_id"], [])}
                      for m in status]
        return TemplateResponse(request, "admin/volumes/host_mounts.html", {
            **self.admin_site.each_context(request), "title": f"Mounts on {host}", "opts": self.model._meta,
            "host": host, "mounts": mounts, "error": error,
            "can_audit": self.has_change_permission(request)})
