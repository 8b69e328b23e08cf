"""The launch form: what `instance_create` needs, chosen from what exists."""
from django import forms

from compute_platform.compute.models import Flavor, KeyPair
from compute_platform.identity.models import Project
from compute_platform.images.models import Image

MAX_COUNT = 20


def network_choices() -> list[tuple[str, str]]:
    """The networks a server can be launched on. Hook for the network service (being built beside this):
    once `compute_platform.networks` exists, list its networks here and pass the choice to instance_create.
    Empty today, and the form then shows no network field."""
    return []


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
        networks = network_choices()
        if networks:
            self.fields["network"] = forms.ChoiceField(choices=networks)
