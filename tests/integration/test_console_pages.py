"""The operator console's pages against PostgreSQL and Redis, through Django's test client: the overview's
figures, the host toggle, the launch form (through instance_create), the serial console page, and who may
open what. The browser itself is tests/integration/test_console_browser.py."""
import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from compute_platform import tasknames
from compute_platform.compute.models import Host, Instance, InstanceAction, InstanceFault
from compute_platform.identity.models import RoleAssignment
from compute_platform.images.models import Image

from .admin_fixtures import admin_project, flavor, op_client, operator  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration
OVERVIEW = "console:overview"


@pytest.fixture
def hosts(db):
    now = timezone.now()
    return {
        "up": Host.objects.create(name="cq-up", vcpus=8, memory_mb=8192, disk_gb=100, vcpus_used=6,
                                  memory_mb_used=4096, disk_gb_used=90, last_heartbeat=now),
        "disabled": Host.objects.create(name="cq-off", vcpus=8, memory_mb=8192, disk_gb=100, enabled=False,
                                        disabled_reason="maintenance", last_heartbeat=now),
        "down": Host.objects.create(name="cq-down", vcpus=8, memory_mb=8192, disk_gb=100, last_heartbeat=None),
    }


@pytest.fixture
def make_instance(operator, admin_project, flavor, hosts):
    def make(name="vm", vm_state="active", task_state=None, **kw):
        kw.setdefault("host", hosts["up"])
        return Instance.objects.create(name=name, project=admin_project, user=operator, flavor=flavor, vcpus=1,
                                       memory_mb=512, root_gb=1, vm_state=vm_state, task_state=task_state,
                                       power_state=1, resources_claimed=True, **kw)
    return make


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = tasknames.host_queue("cq-up")
    client.delete(queue)
    yield client
    client.delete(queue)


def test_the_admin_index_is_the_overview_with_its_figures(op_client, hosts, make_instance, broker):
    make_instance(name="a1")
    make_instance(name="a2")
    make_instance(name="s1", vm_state="stopped")
    gone = make_instance(name="d1", vm_state="deleted")
    InstanceFault.objects.create(instance=gone, code=500, message="No valid host was found.", host="cq-up")
    broker.rpush(tasknames.host_queue("cq-up"), b"{}", b"{}", b"{}")  # three messages waiting

    r = op_client.get("/admin/")
    assert r.status_code == 200 and r.resolver_match.view_name == OVERVIEW
    o = r.context["o"]
    assert o["host_states"] == {"up": 1, "down": 1, "disabled": 1}
    assert o["instances_by_status"] == {"ACTIVE": 2, "SHUTOFF": 1}  # deleted hidden unless asked
    row = next(h for h in o["hosts"] if h["host"].name == "cq-up")
    assert row["queue_depth"] == 3 and row["queue"] == "compute.cq-up"
    assert (row["capacity"]["vcpu"].allowed, row["capacity"]["vcpu"].percent) == (32, 19)  # ratio 4.0
    assert (row["capacity"]["disk"].percent, row["capacity"]["disk"].level) == (90, "high")
    body = r.content.decode()
    assert 'data-used="6" data-allowed="32"' in body and "No valid host was found." in body
    assert 'hx-get="/admin/console/overview/panels/"' in body and "htmx-2.0.11.min.js" in body
    assert f"{settings.FLOWER_URL.rstrip('/')}/worker/compute-cq-up@" in body
    assert f"tasks?name={tasknames.BUILD_INSTANCE}" in body

    r = op_client.get(reverse("console:overview_panels"), {"deleted": "1"})
    assert r.context["o"]["instances_by_status"] == {"ACTIVE": 2, "DELETED": 1, "SHUTOFF": 1}
    assert "<html" not in r.content.decode()  # a fragment, for htmx to swap in


def test_hosts_are_enabled_and_disabled_from_the_overview(op_client, hosts):
    r = op_client.post(reverse("console:host_toggle", args=["cq-up", "disable"]), follow=True)
    assert r.status_code == 200
    hosts["up"].refresh_from_db()
    assert not hosts["up"].enabled and "operator" in hosts["up"].disabled_reason
    op_client.post(reverse("console:host_toggle", args=["cq-up", "enable"]))
    hosts["up"].refresh_from_db()
    assert hosts["up"].enabled and hosts["up"].disabled_reason is None
    assert op_client.get(reverse("console:host_toggle", args=["cq-up", "enable"])).status_code == 405


def test_the_launch_form_creates_servers_through_the_service(op_client, admin_project, flavor, hosts,
                                                               django_capture_on_commit_callbacks):
    image = Image.objects.create(name="cirros", status="active")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = op_client.post(reverse("console:launch"), {"name": "web", "project": admin_project.pk, "flavor": "1",
                                                       "image": image.pk, "key_name": "", "count": 2})
    assert r.status_code == 302 and r["Location"].endswith("?q=web")
    made = Instance.objects.filter(name__startswith="web").order_by("name")
    assert [(i.name, i.host.name, i.vm_state) for i in made] == [("web-1", "cq-up", "building"),
                                                                 ("web-2", "cq-up", "building")]
    assert InstanceAction.objects.filter(instance__in=made, action="create").count() == 2
    assert len(callbacks) >= 1  # the builds are sent after commit, as for the API

    r = op_client.post(reverse("console:launch"), {"name": "x", "project": admin_project.pk, "flavor": "nope",
                                                   "image": image.pk, "count": 0})
    assert r.status_code == 200 and set(r.context["form"].errors) == {"flavor", "count"}


def test_the_launch_form_puts_servers_on_the_chosen_network(op_client, admin_project, flavor, hosts):
    from compute_platform.identity.models import Project
    from compute_platform.network.models import Network, Port, Subnet

    image = Image.objects.create(name="cirros", status="active")
    other = Project.objects.create(name="other-proj")
    mine = Network.objects.create(project=admin_project, name="lan")
    Subnet.objects.create(project=admin_project, network=mine, cidr="10.9.0.0/24", gateway_ip="10.9.0.1",
                          allocation_pools=[{"start": "10.9.0.2", "end": "10.9.0.200"}])
    theirs = Network.objects.create(project=other, name="their-lan")
    Subnet.objects.create(project=other, network=theirs, cidr="10.8.0.0/24", gateway_ip="10.8.0.1",
                          allocation_pools=[{"start": "10.8.0.2", "end": "10.8.0.200"}])
    Network.objects.create(project=admin_project, name="no-subnet")
    form = {"project": admin_project.pk, "flavor": "1", "image": image.pk, "key_name": "", "count": 1}

    choices = dict(op_client.get(reverse("console:launch")).context["form"].fields["network"].choices)
    assert str(mine.id) in choices and str(theirs.id) in choices and "none" in choices
    assert not any(label.startswith("no-subnet") for label in choices.values())

    r = op_client.post(reverse("console:launch"), {**form, "name": "onlan", "network": str(mine.id)})
    assert r.status_code == 302
    vm = Instance.objects.get(name="onlan")
    port = Port.objects.get(device_id=str(vm.uuid))
    assert port.network_id == mine.id and port.fixed_ips.get().ip_address.startswith("10.9.0.")

    r = op_client.post(reverse("console:launch"), {**form, "name": "bare", "network": "none"})
    assert r.status_code == 302
    assert not Port.objects.filter(device_id=str(Instance.objects.get(name="bare").uuid)).exists()

    r = op_client.post(reverse("console:launch"), {**form, "name": "stolen", "network": str(theirs.id)})
    assert r.status_code == 200 and "neither shared nor" in str(r.context["form"].errors["network"])
    assert not Instance.objects.filter(name="stolen").exists()


def test_the_serial_console_page_carries_a_token_url(op_client, make_instance):
    vm = make_instance(name="c1")
    r = op_client.get(reverse("console:serial", args=[vm.uuid]))
    assert r.status_code == 200
    url = r.context["console"]["url"]
    assert url.startswith(settings.SERIAL_PROXY_URL + "?token=") and f'data-url="{url}"' in r.content.decode()
    change = op_client.get(reverse("admin:compute_instance_change", args=[vm.pk])).content.decode()
    assert reverse("console:serial", args=[vm.uuid]) in change

    stopped = make_instance(name="c2", vm_state="stopped")
    r = op_client.get(reverse("console:serial", args=[stopped.uuid]))
    assert r.status_code == 409 and "is not ready" in r.content.decode()


def test_deleted_instances_are_listed_only_when_asked(op_client, make_instance):
    make_instance(name="alive")
    make_instance(name="gone", vm_state="deleted")

    def names(**params):
        r = op_client.get(reverse("admin:compute_instance_changelist"), params)
        return {i.name for i in r.context["cl"].result_list}
    assert names() == {"alive"}
    assert names(status="all") == {"alive", "gone"}
    assert names(status="DELETED") == {"gone"}
    assert names(status="ACTIVE") == {"alive"}


def test_members_and_unprivileged_staff_reach_nothing(client, db, admin_project, make_instance):
    vm = make_instance()
    member = get_user_model().objects.create_user("member", password="pw")  # a Keystone member: not staff
    RoleAssignment.objects.create(user=member, project=admin_project, role=RoleAssignment.MEMBER)
    client.force_login(member)
    for url in ("/admin/", reverse("console:launch"), reverse("console:serial", args=[vm.uuid]),
                reverse("console:overview_panels")):
        r = client.get(url)
        assert r.status_code == 302 and "/admin/login/" in r["Location"], url
    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)  # staff, no rights
    client.force_login(viewer)
    r = client.get("/admin/")
    assert r.status_code == 200 and "o" not in r.context  # Django's own index, listing nothing it may not see
    assert client.get(reverse("console:overview_panels")).status_code == 403
    assert client.get(reverse("console:launch")).status_code == 403
    assert client.get(reverse("console:serial", args=[vm.uuid])).status_code == 403
    assert client.post(reverse("console:host_toggle", args=["cq-up", "disable"])).status_code == 403


def test_remote_consoles_at_2_6_answers_a_serial_url(operator, admin_project, make_instance):
    """The 2.6 route itself, on a request negotiated at 2.6 (the live API negotiates up to MAX_VERSION,
    which the microversions work raises; tests/integration/test_serial_console.py covers it live then)."""
    from rest_framework.test import APIRequestFactory

    from api.compute.remote_consoles import RemoteConsoleView
    from compute_platform.identity.services.tokens import token_issue

    vm = make_instance(name="rc")
    plaintext, _ = token_issue(user=operator, project=admin_project, methods=["password"])

    def post(version, body):
        request = APIRequestFactory().post(f"/compute/v2.1/servers/{vm.uuid}/remote-consoles", body, format="json",
                                           HTTP_X_AUTH_TOKEN=plaintext)
        request.api_version = version  # what MicroversionMiddleware sets
        return RemoteConsoleView.as_view()(request, server_id=str(vm.uuid))

    r = post((2, 6), {"remote_console": {"protocol": "serial", "type": "serial"}})
    assert r.status_code == 200, r.data
    assert r.data["remote_console"]["url"].startswith(settings.SERIAL_PROXY_URL + "?token=")
    assert post((2, 6), {"remote_console": {"protocol": "vnc", "type": "novnc"}}).status_code == 400
    assert post((2, 6), {"remote_console": {"protocol": "serial", "type": "bogus"}}).status_code == 400
    assert post((2, 5), {"remote_console": {"protocol": "serial", "type": "serial"}}).status_code == 404

    # and the 2.1 action, which 2.6 retires (as Nova: the action exists for 2.1 to 2.5)
    from api.compute.server_actions import ServerActionView

    def action(version):
        request = APIRequestFactory().post(f"/compute/v2.1/servers/{vm.uuid}/action",
                                           {"os-getSerialConsole": {"type": "serial"}}, format="json",
                                           HTTP_X_AUTH_TOKEN=plaintext)
        request.api_version = version
        return ServerActionView.as_view()(request, server_id=str(vm.uuid))
    assert action((2, 5)).status_code == 200
    assert action((2, 6)).status_code == 404  # Nova's answer to an action outside its versions
