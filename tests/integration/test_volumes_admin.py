"""The block-storage pages of the admin console, against PostgreSQL: exports through the services (a bad
share is a form error, an export with volumes cannot move or go), volume delete and detach actions through
the services, and the mount panel (a host that does not answer is an error on the page, not a 500)."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from compute_platform.compute.models import Flavor, Host, Instance, InstanceAction
from compute_platform.identity.models import Project, RoleAssignment
from compute_platform.volumes.models import Export, Volume, VolumeAttachment

pytestmark = pytest.mark.integration


@pytest.fixture
def op_client(client, db):
    project = Project.objects.create(name="admin")
    user = get_user_model().objects.create_superuser("operator", "op@example.com", "pw")
    RoleAssignment.objects.create(user=user, project=project, role=RoleAssignment.ADMIN)
    client.force_login(user)
    client.user, client.project = user, project
    return client


@pytest.fixture
def attached(op_client, tmp_path):
    """An export, a volume on it attached to an active server on node1."""
    export = Export.objects.create(name="e1", share=str(tmp_path), fstype="bind")
    host = Host.objects.create(name="node1", vcpus=8, memory_mb=8192, disk_gb=100, last_heartbeat=timezone.now())
    flavor = Flavor.objects.create(flavorid="1", name="m1.tiny", vcpus=1, memory_mb=512, root_gb=1)
    inst = Instance.objects.create(name="vm", project=op_client.project, user=op_client.user, flavor=flavor,
                                   host=host, vcpus=1, memory_mb=512, root_gb=1, vm_state="active", power_state=1)
    vol = Volume.objects.create(name="v", project=op_client.project, user=op_client.user, export=export, size=1,
                                status="in-use")
    att = VolumeAttachment.objects.create(volume=vol, instance=inst, host="node1", device="/dev/vdb",
                                          status="attached")
    return export, vol, att


def _messages(response):
    return [m.message for m in response.context["messages"]]


def test_pages_render(op_client, attached):
    export, vol, att = attached
    for name, args in (("volumes_export_changelist", []), ("volumes_export_change", [export.pk]),
                       ("volumes_volume_changelist", []), ("volumes_volume_change", [vol.pk]),
                       ("volumes_volumeattachment_changelist", []), ("volumes_volumeattachment_change", [att.pk]),
                       ("volumes_mount_hosts", [])):
        r = op_client.get(reverse(f"admin:{name}", args=args))
        assert r.status_code == 200, name
    body = op_client.get(reverse("admin:volumes_mount_hosts")).content.decode()
    assert "node1" in body and "volume-service" in body
    assert reverse("admin:volumes_host_mounts", args=["node1"]) in body


def test_export_add_validates_through_the_services(op_client, tmp_path):
    url = reverse("admin:volumes_export_add")
    r = op_client.post(url, {"name": "bad", "share": "relative/dir", "fstype": "bind", "mount_options": ""})
    assert r.status_code == 200 and "not an absolute path" in r.content.decode()
    r = op_client.post(url, {"name": "nfs1", "share": "filer:/srv/vols", "fstype": "nfs",
                             "mount_options": "vers=4.2", "enabled": "on"}, follow=True)
    assert r.status_code == 200
    assert Export.objects.filter(name="nfs1", share="filer:/srv/vols", mount_options="vers=4.2", enabled=True).exists()


def test_an_export_with_volumes_cannot_move_or_go(op_client, attached, tmp_path):
    export, vol, att = attached
    url = reverse("admin:volumes_export_change", args=[export.pk])
    r = op_client.post(url, {"name": "e1", "share": str(tmp_path / "elsewhere"), "fstype": "bind",
                             "mount_options": "", "enabled": "on"})
    assert r.status_code == 200 and "holds volumes" in r.content.decode()
    assert Export.objects.get(pk=export.pk).share == export.share
    r = op_client.post(url, {"name": "renamed", "share": export.share, "fstype": "bind", "mount_options": ""},
                       follow=True)
    assert Export.objects.get(pk=export.pk).name == "renamed" and not Export.objects.get(pk=export.pk).enabled
    r = op_client.post(reverse("admin:volumes_export_changelist"),
                       {"action": "delete_selected", "_selected_action": [export.pk], "post": "yes"}, follow=True)
    assert Export.objects.filter(pk=export.pk).exists()


def test_volume_delete_and_detach_actions_use_the_services(op_client, attached):
    export, vol, att = attached
    r = op_client.post(reverse("admin:volumes_volume_changelist"),
                       {"action": "delete_volumes", "_selected_action": [vol.pk]}, follow=True)
    assert any("must not be attached" in m for m in _messages(r))  # in-use: refused, as the API does
    assert Volume.objects.get(pk=vol.pk).status == "in-use"

    r = op_client.post(reverse("admin:volumes_volumeattachment_changelist"),
                       {"action": "detach", "_selected_action": [att.pk]}, follow=True)
    assert any("Detach requested for 1 attachment" in m for m in _messages(r)), _messages(r)
    att.refresh_from_db()
    assert att.status == "detaching" and att.request_id.startswith("req-")
    assert Volume.objects.get(pk=vol.pk).status == "detaching"
    assert InstanceAction.objects.filter(instance=att.instance, action="detach_volume",
                                         request_id=att.request_id).exists()


def test_mount_panel_of_a_host_that_does_not_answer(op_client, attached, settings):
    settings.HOST_CALL_TIMEOUT = settings.MOUNT_TIMEOUT = 0.5
    url = reverse("admin:volumes_host_mounts", args=["node1"])
    r = op_client.get(url)
    assert r.status_code == 200 and "did not answer" in r.content.decode()
    r = op_client.post(url, {"audit": "Audit now"}, follow=True)
    assert r.status_code == 200 and any("did not answer" in m for m in _messages(r))
    r = op_client.get(reverse("admin:volumes_host_mounts", args=["nosuch"]))
    assert r.status_code == 200 and "could not be found" in r.content.decode()
