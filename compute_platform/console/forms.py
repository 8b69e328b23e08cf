"""The launch form: what `instance_create` needs, chosen from what exists."""
from django import forms
from django.db import models

from compute_platform.compute.models import Flavor, KeyPair
from compute_platform.identity.models import Project
from compute_platform.images.models import Image
from compute_platform.network.models.networks import Network

MAX_COUNT = 20


DEFAULT_NETWORK, NO_NETWORK = "", "none"


def network_choices() -> list[tuple[str, str]]:
    """The networks a server can be launched on: those with a subnet, external ones aside (floating IPs come
    from those). Which of them the chosen project may use is checked in `clean`, as the API does."""
    networks = (Network.objects.filter(external=False, subnets__isnull=False).distinct()
                .select_related("project").order_by("name", "id"))
    return [(DEFAULT_NETWORK, "(the project's one network, if it has exactly one)"), (NO_NETWORK, "(no network)")] + [
        (str(n.id), f"{n.name or n.id} ({'shared' if n.shared else n.project.name})") for n in networks]


class FlavorChoice(forms.ModelChoiceField):
    def label_from_instance(self, flavor):
        return f"{flavor.name} ({flavor.vcpus} vCPU, {flavor.memory_mb} MiB, {flavor.root_gb} GiB)"


class LaunchForm(forms.Form):
    name = forms.CharField(max_length=255, help_text="With a count above 1, servers are named NAME-1, NAME-2, ...")
    project = forms.ModelChoiceField(Project.objects.live().filter(enabled=True).order_by("name"),
                                     help_text="The servers belong to this project and count against its quota.")
    flavor = FlavorChoice(Flavor.objects.order_by("vcpus", "memory_mb", "name"), to_field_name="flavorid")
    image = forms.ModelChoiceField(Image.objects.filter(status="active").order_by("name"))
    key_name = forms.ChoiceField(required=False, label="Key pair")
    count = forms.IntegerField(min_value=1, max_value=MAX_COUNT, initial=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        names = KeyPair.objects.filter(user=user).order_by("name").values_list("name", flat=True)
        self.fields["key_name"].choices = [("", "(none)")] + [(n, n) for n in names]
        self.fields["network"] = forms.ChoiceField(choices=network_choices(), required=False)

    def clean(self):
        data = super().clean()
        network, project = data.get("network"), data.get("project")
        if network not in (None, DEFAULT_NETWORK, NO_NETWORK) and project is not None and not Network.objects.filter(
                pk=network).filter(models.Q(shared=True) | models.Q(project=project)).exists():
            self.add_error("network", f"Network is neither shared nor {project.name}'s.")
        return data

    def networks_request(self):
        """instance_create's `networks`: None (as an API request that omits it), "none", or the one network."""
        network = self.cleaned_data.get("network") or DEFAULT_NETWORK
        return None if network == DEFAULT_NETWORK else NO_NETWORK if network == NO_NETWORK else [{"uuid": network}]
