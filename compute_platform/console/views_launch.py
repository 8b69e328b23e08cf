"""The launch form: servers created through compute/services/instances.py, as the API creates them."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from compute_platform.compute.admin.common import admin_context
from compute_platform.compute.exceptions import ComputeError
from compute_platform.compute.services.instances import instance_create

from .forms import LaunchForm


def launch(request):
    if not request.user.has_perm("compute.change_instance"):
        raise PermissionDenied
    form = LaunchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        context = admin_context(request, project_id=data["project"].pk)
        try:
            instances, _ = instance_create(context=context, name=data["name"], flavor=data["flavor"],
                                           image=data["image"], key_name=data["key_name"] or None,
                                           min_count=data["count"], max_count=data["count"],
                                           networks=form.networks_request())
        except ComputeError as exc:
            form.add_error(None, exc.message)
        else:
            messages.info(request, f"Launching {len(instances)} server{'s' if len(instances) != 1 else ''}: "
                                   + ", ".join(i.name for i in instances))
            if len(instances) == 1:
                return redirect(reverse("admin:compute_instance_change", args=[instances[0].pk]))
            return redirect(reverse("admin:compute_instance_changelist") + f"?q={data['name']}")
    return TemplateResponse(request, "console/launch.html", {
        **admin.site.each_context(request), "title": "Launch servers", "form": form})
