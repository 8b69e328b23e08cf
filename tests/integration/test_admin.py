"""The admin console against PostgreSQL: every page renders, and the admin actions change state only
through the services (a claimed task_state, an InstanceAction, a message queued on commit)."""
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compute_platform.compute.models import (
    Aggregate, Flavor, Host, Instance, InstanceAction, InstanceActionEvent, InstanceFault, KeyPair, Migration, ProjectQuota,
    ServerGroup,
)
from compute_platform.identity.models import Project, RoleAssignment, Token
from compute_platform.identity.services.tokens import token_issue
from compute_platform.images.models import Image

from .admin_fixtures import admin_project, flavor, op_client, operator  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

CHANGELIST = "admin:compute_instance_changelist"


@pytest.fixture
def project(db):
    return Project.objects.create(name="tenant")


@pytest.fixture
def host_up(db):
    return Host.objects.create(name="node1", vcpus=8, memory_mb=8192, disk_gb=100, vcpus_used=1,
                               memory_mb_used=512, disk_gb_used=1, last_heartbeat=timezone.now())


@pytest.fixture
def host_down(db):
    return Host.objects.create(name="node2", vcpus=8, memory_mb=8192, disk_gb=100, last_heartbeat=None)


@pytest.fixture
def make_instance(operator, project, flavor, host_up):
    def make(name="vm", vm_state="active", task_state=None, host=host_up, power_state=1, project=project, **kw):
        return Instance.objects.create(name=name, project=project, user=operator, flavor=flavor, host=host,
                                       vcpus=1, memory_mb=512, root_gb=1, vm_state=vm_state, task_state=task_state,
                                       power_state=power_state, resources_claimed=True, **kw)
    return make


class _FormInputs(HTMLParser):
    """What a browser would submit from the page's change form (inputs, textareas, selected options)."""

    def __init__(self):
        super().__init__()
        self.data, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "checkbox", "file"):
            self.data[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.data[a["name"]] = a.get("value") or "on"
        elif tag == "textarea":
            self._textarea = a["name"]
            self.data[self._textarea] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def _form_data(response) -> dict:
    parser = _FormInputs()
    parser.feed(response.content.decode())
    return parser.data


@contextmanager
def concurrent_write(model, pk, **values):
    """Another process commits `values` to the row just before the admin saves it (the window between
    the form's load of the row and its save), as a worker or the scheduler would."""
    def write(sender, instance, **kw):
        if instance.pk == pk:
            model.objects.filter(pk=pk).update(**values)

    pre_save.connect(write, sender=model, weak=False, dispatch_uid="admin-test-concurrent-write")
    try:
        yield
    finally:
        pre_save.disconnect(sender=model, dispatch_uid="admin-test-concurrent-write")


def _messages(response):
    return [(m.level, m.message) for m in response.context["messages"]]


def _run_action(client, action, instances, follow=True, query=""):
    return client.post(reverse(CHANGELIST) + query, {"action": action, "_selected_action": [i.pk for i in instances]},
                       follow=follow)


# --- every page renders -------------------------------------------------------------------------------

@pytest.fixture
def every_row(operator, admin_project, make_instance, host_down):
    inst = make_instance(name="full")
    action = InstanceAction.objects.create(instance=inst, action="create", request_id="req-full",
                                           user_id=str(operator.pk), project_id=admin_project.pk)
    InstanceActionEvent.objects.create(action=action, event="compute__do_build_and_run_instance", host="node1",
                                       start_time=timezone.now(), result="Success")
    InstanceFault.objects.create(instance=inst, message="boom", details="Traceback...", host="node1")
    Image.objects.create(name="cirros", status="active", owner=admin_project)
    token_issue(user=operator, project=admin_project, methods=["password"])
    KeyPair.objects.create(user=operator, name="ops", fingerprint="aa:bb", public_key="ssh-ed25519 AAAA ops")
    group = ServerGroup.objects.create(name="web", policy="anti-affinity", project=admin_project, user=operator)
    Instance.objects.filter(pk=inst.pk).update(server_group=group)
    ProjectQuota.objects.create(project=admin_project, instances=50)
    f = inst.flavor
    Migration.objects.create(instance=inst, migration_type="resize", status="finished", source_host=inst.host,
                             dest_host=host_down, old_flavor=f, new_flavor=f, old_vcpus=1, old_memory_mb=512,
                             old_root_gb=1, new_vcpus=1, new_memory_mb=512, new_root_gb=1)
    return inst


def test_every_registered_model_changelist_and_change_page_render(op_client, every_row):
    registered = list(admin.site._registry)
    by_app = {app: {m for m in registered if m._meta.app_label == app} for app in ("compute", "identity", "images")}
    assert by_app == {
        "compute": {Flavor, Host, Instance, InstanceAction, InstanceActionEvent, InstanceFault, KeyPair, ServerGroup,
                    ProjectQuota, Migration, Aggregate},
        "identity": {Project, RoleAssignment, Token},
        "images": {Image},
    }
    Aggregate.objects.create(name="rack-a", metadata={"availability_zone": "zone-a"}).hosts.set(Host.objects.all())
    for model in registered:
        info = (model._meta.app_label, model._meta.model_name)
        r = op_client.get(reverse("admin:%s_%s_changelist" % info))
        assert r.status_code == 200, model
        obj = model._default_manager.first()
        if obj is not None:
            r = op_client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk]))
            assert r.status_code == 200, model


def test_instance_page_shows_action_log_newest_first_and_links_to_events(op_client, every_row, operator):
    later = InstanceAction.objects.create(instance=every_row, action="stop", request_id="req-later",
                                          user_id=str(operator.pk), project_id="p")
    InstanceAction.objects.filter(pk=later.pk).update(start_time=timezone.now() + timedelta(seconds=5))
    r = op_client.get(reverse("admin:compute_instance_change", args=[every_row.pk]))
    body = r.content.decode()
    assert body.index("req-later") < body.index("req-full")
    create = InstanceAction.objects.get(request_id="req-full")
    assert reverse("admin:compute_instanceaction_change", args=[create.pk]) in body
    assert "1 event" in body and "boom" in body  # the event count link and the fault inline

    r = op_client.get(reverse("admin:compute_instanceaction_change", args=[create.pk]))
    assert r.status_code == 200
    assert "compute__do_build_and_run_instance" in r.content.decode()


def test_instance_action_list_names_the_user(op_client, every_row, operator):
    r = op_client.get(reverse("admin:compute_instanceaction_changelist"))
    assert f"operator ({operator.pk})" in r.content.decode()
    r = op_client.get(reverse("admin:compute_instanceaction_changelist"), {"action__exact": "stop"})
    assert list(r.context["cl"].result_list) == []


# --- instance list --------------------------------------------------------------------------------------

def test_instance_changelist_filters_and_search(op_client, make_instance, host_down, admin_project):
    active = make_instance(name="alpha")
    stopped = make_instance(name="beta", vm_state="stopped", power_state=4)
    busy = make_instance(name="gamma", task_state="powering-off")
    elsewhere = make_instance(name="delta", host=host_down)
    other_project = make_instance(name="epsilon", project=admin_project)

    def names(**params):
        r = op_client.get(reverse(CHANGELIST), params)
        assert r.status_code == 200
        return {i.name for i in r.context["cl"].result_list}

    assert names() == {"alpha", "beta", "gamma", "delta", "epsilon"}
    assert names(vm_state__exact="stopped") == {"beta"}
    assert names(task_state__exact="powering-off") == {"gamma"}
    assert names(host__id__exact=host_down.pk) == {"delta"}
    assert names(project__id__exact=admin_project.pk) == {"epsilon"}
    assert names(q="gam") == {"gamma"}
    assert names(q=str(stopped.uuid)[:13]) == {"beta"}
    assert active and busy and elsewhere and other_project


def test_instance_changelist_shows_derived_status_and_power_state_name(op_client, make_instance):
    make_instance(name="rebooting", task_state="rebooting_hard")
    body = op_client.get(reverse(CHANGELIST)).content.decode()
    assert "HARD_REBOOT" in body and "RUNNING" in body


@pytest.mark.parametrize("url_name", [CHANGELIST, "admin:compute_host_changelist",
                                      "admin:compute_instanceaction_changelist", "admin:identity_token_changelist"])
def test_list_pages_run_a_constant_number_of_queries(op_client, make_instance, operator, admin_project, url_name):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert op_client.get(reverse(url_name)).status_code == 200
        return len(ctx.captured_queries)

    def add_rows(n, start):
        for i in range(start, start + n):
            inst = make_instance(name=f"vm{i}")
            InstanceAction.objects.create(instance=inst, action="create", request_id=f"req-{i}",
                                          user_id=str(operator.pk), project_id=admin_project.pk)
            token_issue(user=operator, project=admin_project, methods=["password"])
            Host.objects.create(name=f"extra{i}", last_heartbeat=timezone.now())

    add_rows(1, 0)
    few = queries()
    add_rows(6, 1)
    assert queries() == few


# --- instance admin actions go through the services -------------------------------------------------------

def test_stop_action_claims_task_state_records_the_action_and_enqueues_on_commit(
        op_client, make_instance, operator, admin_project, django_capture_on_commit_callbacks):
    inst = make_instance()
    with django_capture_on_commit_callbacks() as callbacks:
        r = _run_action(op_client, "stop", [inst])
    assert r.status_code == 200
    inst.refresh_from_db()
    assert (inst.vm_state, inst.task_state) == ("active", "powering-off")
    action = InstanceAction.objects.get(instance=inst)
    assert action.action == "stop" and action.request_id.startswith("req-")
    # The context is the logged-in admin's, scoped to the project where they hold the admin role.
    assert (action.user_id, action.project_id) == (str(operator.pk), admin_project.pk)
    assert len(callbacks) == 1  # the message to compute.node1, sent once the claim commits
    assert (messages.INFO, "Stop requested for 1 instance.") in _messages(r)


def test_each_instance_gets_its_own_request_and_the_fallback_project_is_the_instances(
        client, make_instance, project):
    user = get_user_model().objects.create_superuser("noroles", "nr@example.com", "pw")
    client.force_login(user)
    a, b = make_instance(name="a"), make_instance(name="b")
    r = _run_action(client, "reboot_hard", [a, b])
    assert (messages.INFO, "Hard reboot requested for 2 instances.") in _messages(r)
    actions = list(InstanceAction.objects.filter(instance__in=[a, b]))
    assert len({x.request_id for x in actions}) == 2
    assert {(x.action, x.user_id, x.project_id) for x in actions} == {("reboot", str(user.pk), project.pk)}
    assert set(Instance.objects.filter(pk__in=[a.pk, b.pk]).values_list("task_state", flat=True)) == {
        "rebooting_hard"}


def test_stop_action_on_a_stopped_instance_warns_and_changes_nothing(
        op_client, make_instance, django_capture_on_commit_callbacks):
    stopped = make_instance(name="off", vm_state="stopped", power_state=4)
    running = make_instance(name="on")
    before = Instance.objects.values().get(pk=stopped.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        r = _run_action(op_client, "stop", [stopped, running])
    assert r.status_code == 200
    assert Instance.objects.values().get(pk=stopped.pk) == before
    assert not InstanceAction.objects.filter(instance=stopped).exists()
    got = _messages(r)
    assert (messages.WARNING, f"{stopped}: Cannot 'stop' instance {stopped.uuid} while it is in vm_state stopped"
            ) in got
    # The other selected instance still ran.
    assert (messages.INFO, "Stop requested for 1 instance.") in got
    assert len(callbacks) == 1
    assert Instance.objects.get(pk=running.pk).task_state == "powering-off"


def test_start_action_on_a_busy_instance_warns(op_client, make_instance):
    busy = make_instance(vm_state="stopped", task_state="powering-on", power_state=4)
    r = _run_action(op_client, "start", [busy])
    assert r.status_code == 200
    assert [lvl for lvl, _ in _messages(r)] == [messages.WARNING]
    assert "task_state powering-on" in _messages(r)[0][1]


def test_delete_action_on_an_instance_whose_host_is_down_deletes_it_locally(
        op_client, make_instance, host_down, django_capture_on_commit_callbacks):
    inst = make_instance(host=host_down)
    with django_capture_on_commit_callbacks() as callbacks:
        r = _run_action(op_client, "delete_instances", [inst])
    assert r.status_code == 200
    inst.refresh_from_db()  # the row stays: deleting is a state, not a removal
    assert (inst.vm_state, inst.task_state, inst.deleted_at is not None) == ("deleted", None, True)
    action = InstanceAction.objects.get(instance=inst)
    assert action.action == "delete" and action.finish_time is not None
    assert list(action.events.values_list("event", flat=True)) == ["api_local_delete"]
    assert callbacks == []  # nothing to send to a host that is down
    assert (messages.INFO, "Delete requested for 1 instance.") in _messages(r)

    r = _run_action(op_client, "delete_instances", [inst])
    assert _messages(r) == []  # the list hides deleted instances: nothing was selected
    r = _run_action(op_client, "delete_instances", [inst], query="?status=all")
    assert (messages.WARNING, f"{inst}: already deleted.") in _messages(r)
    assert InstanceAction.objects.filter(instance=inst).count() == 1


def test_delete_on_a_live_host_claims_deleting_and_enqueues(
        op_client, make_instance, django_capture_on_commit_callbacks):
    inst = make_instance()
    with django_capture_on_commit_callbacks() as callbacks:
        _run_action(op_client, "delete_instances", [inst])
    inst.refresh_from_db()
    assert (inst.vm_state, inst.task_state) == ("active", "deleting")
    assert len(callbacks) == 1


def test_rows_are_never_removed_by_the_builtin_delete(op_client, make_instance):
    inst = make_instance()
    r = op_client.get(reverse(CHANGELIST))
    actions = dict(r.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"start", "stop", "reboot", "reboot_hard", "delete_instances"} <= set(actions)
    r = _run_action(op_client, "delete_selected", [inst], follow=False)
    assert Instance.objects.filter(pk=inst.pk).exists()
    assert op_client.get(reverse("admin:compute_instance_delete", args=[inst.pk])).status_code == 403
    assert op_client.post(reverse("admin:compute_instance_delete", args=[inst.pk]), {"post": "yes"}
                          ).status_code == 403
    assert Instance.objects.get(pk=inst.pk).vm_state == "active"
    change = op_client.get(reverse("admin:compute_instance_change", args=[inst.pk])).content.decode()
    assert reverse("admin:compute_instance_delete", args=[inst.pk]) not in change
    assert op_client.get(reverse("admin:compute_instance_add")).status_code == 403


def test_instance_form_edits_the_name_but_never_the_state(op_client, make_instance, operator):
    inst = make_instance(name="old")
    InstanceAction.objects.create(instance=inst, action="create", request_id="req-form", user_id=str(operator.pk),
                                  project_id="p")
    InstanceFault.objects.create(instance=inst, message="old fault")
    url = reverse("admin:compute_instance_change", args=[inst.pk])
    page = op_client.get(url)
    data = _form_data(page)
    assert "vm_state" not in data and "task_state" not in data and "host" not in data
    # A worker moves the instance on while the form is being saved; the save must not undo it.
    data.update(name="new", vm_state="error", task_state="", power_state="0", _save="Save")
    with concurrent_write(Instance, inst.pk, task_state="powering-off", power_state=4):
        r = op_client.post(url, data)
    assert r.status_code == 302, r.context and r.context["adminform"].form.errors
    inst.refresh_from_db()
    assert (inst.name, inst.vm_state, inst.task_state, inst.power_state) == ("new", "active", "powering-off", 4)
    assert InstanceAction.objects.filter(instance=inst).count() == 1
    assert InstanceFault.objects.filter(instance=inst).count() == 1


# --- hosts -----------------------------------------------------------------------------------------------

def test_host_list_shows_up_down_and_usage_and_filters(op_client, host_up, host_down):
    Host.objects.create(name="az2host", availability_zone="az2", hypervisor_type="qemu", enabled=False,
                        last_heartbeat=timezone.now())
    r = op_client.get(reverse("admin:compute_host_changelist"))
    body = r.content.decode()
    # capacity as bars: used against total x allocation ratio (vCPU 4.0, RAM 1.0 by default)
    assert 'data-used="1" data-allowed="32"' in body and 'data-used="512" data-allowed="8192"' in body
    rows = {h.name: h for h in r.context["cl"].result_list}
    assert rows["node1"].is_up and not rows["node2"].is_up

    def names(**params):
        return {h.name for h in op_client.get(reverse("admin:compute_host_changelist"), params
                                              ).context["cl"].result_list}
    assert names(enabled__exact="0") == {"az2host"}
    assert names(availability_zone__exact="az2") == {"az2host"}
    assert names(hypervisor_type__exact="fake") == {"node1", "node2"}


def test_host_disable_and_enable_actions(op_client, host_up):
    url = reverse("admin:compute_host_changelist")
    op_client.post(url, {"action": "disable", "_selected_action": [host_up.pk]})
    host_up.refresh_from_db()
    assert not host_up.enabled and "operator" in host_up.disabled_reason
    r = op_client.post(url, {"action": "enable", "_selected_action": [host_up.pk]}, follow=True)
    host_up.refresh_from_db()
    assert host_up.enabled and host_up.disabled_reason is None
    assert (messages.INFO, "Enabled 1 host.") in _messages(r)


def test_host_form_never_overwrites_claims_or_heartbeat(op_client, host_up):
    url = reverse("admin:compute_host_change", args=[host_up.pk])
    data = _form_data(op_client.get(url))
    beat = timezone.now() + timedelta(seconds=30)
    data.update(cpu_allocation_ratio="2.0", vcpus_used="0", enabled="", _save="Save")
    with concurrent_write(Host, host_up.pk, vcpus_used=5, last_heartbeat=beat):  # a claim and a heartbeat
        assert op_client.post(url, data).status_code == 302
    host_up.refresh_from_db()
    assert (host_up.cpu_allocation_ratio, host_up.vcpus_used, host_up.last_heartbeat, host_up.enabled) == (
        2.0, 5, beat, True)


def test_host_zone_is_its_aggregates_and_not_editable_in_the_form(op_client, host_up):
    url = reverse("admin:compute_host_change", args=[host_up.pk])
    data = _form_data(op_client.get(url))
    assert "availability_zone" not in data  # shown, not an input: the aggregate decides it
    data.update(availability_zone="elsewhere", _save="Save")
    assert op_client.post(url, data).status_code == 302
    host_up.refresh_from_db()
    assert host_up.availability_zone == settings.DEFAULT_AVAILABILITY_ZONE


# --- identity --------------------------------------------------------------------------------------------

def test_token_pages_never_show_the_hash_and_revoke_uses_the_service(op_client, operator, admin_project):
    _, token = token_issue(user=operator, project=admin_project, methods=["password"])
    listing = op_client.get(reverse("admin:identity_token_changelist"))
    detail = op_client.get(reverse("admin:identity_token_change", args=[token.pk]))
    for r in (listing, detail):
        assert r.status_code == 200
        body = r.content.decode()
        assert token.token_hash not in body and "token_hash" not in body.lower().replace(" ", "_")
        assert token.audit_id in body
    # A view-only page: nothing of the token can be submitted back.
    assert set(_form_data(detail)) <= {"csrfmiddlewaretoken"}
    assert op_client.get(reverse("admin:identity_token_add")).status_code == 403

    r = op_client.post(reverse("admin:identity_token_changelist"),
                       {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert (messages.INFO, "Revoked 1 token.") in _messages(r)
    assert Token.objects.get(pk=token.pk).revoked is True


def test_project_page_edits_role_assignments_inline(op_client, operator, project):
    url = reverse("admin:identity_project_change", args=[project.pk])
    data = _form_data(op_client.get(url))
    prefix = "role_assignments"
    assert data[f"{prefix}-TOTAL_FORMS"] == "0"
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-user": str(operator.pk), f"{prefix}-0-role": "member",
                 "_save": "Save"})
    r = op_client.post(url, data)
    assert r.status_code == 302, r.context and r.context["inline_admin_formsets"][0].formset.errors
    assert RoleAssignment.objects.filter(user=operator, project=project, role="member").exists()


def test_image_delete_is_soft(op_client, admin_project):
    image = Image.objects.create(name="cirros", status="active", owner=admin_project)
    locked = Image.objects.create(name="locked", status="active", protected=True)
    r = op_client.post(reverse("admin:images_image_changelist"),
                       {"action": "soft_delete", "_selected_action": [image.pk, locked.pk]}, follow=True)
    assert Image.objects.get(pk=image.pk).status == "deleted"
    assert Image.objects.get(pk=locked.pk).status == "active"
    levels = sorted(lvl for lvl, _ in _messages(r))
    assert levels == [messages.INFO, messages.WARNING]
