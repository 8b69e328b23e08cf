"""The Evacuate button on a down host's page of the operator console (Django's test client): it evacuates the
host's instances through instance_evacuate, the service os-evacuate uses; an up host has no button and refuses."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from compute_platform.compute.models import Migration

from .admin_fixtures import admin_project, flavor, op_client, operator  # noqa: F401  (fixtures)
from .test_console_pages import hosts, make_instance  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


def _page(host):
    return reverse("admin:compute_host_change", args=[host.pk])


def test_a_down_hosts_page_evacuates_its_instances_through_the_service(op_client, hosts, make_instance):
    vm = make_instance(name="stranded", host=hosts["down"])
    make_instance(name="gone", host=hosts["down"], vm_state="deleted")
    page = op_client.get(_page(hosts["down"])).content.decode()
    assert 'id="evacuate-host"' in page and "Evacuate 1 instance<" in page
    assert 'id="evacuate-host"' not in op_client.get(_page(hosts["up"])).content.decode()

    r = op_client.post(reverse("admin:compute_host_evacuate", args=[hosts["down"].pk]), follow=True)
    assert r.status_code == 200 and "Evacuating 1 instance from cq-down." in r.content.decode()
    vm.refresh_from_db()
    assert vm.task_state == "rebuilding"
    m = Migration.objects.get(instance=vm)
    assert (m.migration_type, m.status, m.source_host.name, m.dest_host.name) == (
        "evacuation", "accepted", "cq-down", "cq-up")
    assert op_client.get(reverse("admin:compute_host_evacuate", args=[hosts["down"].pk])).status_code == 405


def test_an_up_host_is_not_evacuated_and_staff_without_rights_may_not(client, op_client, hosts, make_instance):
    vm = make_instance(name="fine")  # on cq-up
    r = op_client.post(reverse("admin:compute_host_evacuate", args=[hosts["up"].pk]), follow=True)
    assert "is up: only a down host" in r.content.decode()
    vm.refresh_from_db()
    assert vm.task_state is None and not Migration.objects.exists()
    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)
    assert client.post(reverse("admin:compute_host_evacuate", args=[hosts["down"].pk])).status_code == 403
