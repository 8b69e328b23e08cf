"""Neutron's tags (standard-attr-tag) on networks, subnets, ports, security groups and floating IPs: every verb
of /<resources>/<id>/tags with Neutron's codes, the tags in the resources' bodies, the four list filters,
validation, tenant isolation, and tags going with their resource."""
import pytest

from .test_network_api import NET, create, neutron_error

STACK = {"hosts": [], "users": {"erin": "proj-e", "frank": "proj-f"}}


@pytest.fixture(scope="module")
def tokens(api):
    return {"admin": api.token(), "erin": api.token("erin", "erin-pw", "proj-e"),
            "frank": api.token("frank", "frank-pw", "proj-f")}


@pytest.fixture(scope="module")
def resources(api, tokens):
    """{resources path: id} of one of each taggable resource of erin's."""
    e, admin = tokens["erin"], tokens["admin"]
    public = create(api, "networks", admin, name="tags-public", **{"router:external": True})
    create(api, "subnets", admin, network_id=public["id"], cidr="203.0.113.64/29")
    net = create(api, "networks", e, name="tagged")
    subnet = create(api, "subnets", e, network_id=net["id"], cidr="10.91.0.0/24")
    port = create(api, "ports", e, network_id=net["id"])
    group = create(api, "security-groups", e, name="tagged-group")
    fip = create(api, "floatingips", e, floating_network_id=public["id"])
    return {"networks": net["id"], "subnets": subnet["id"], "ports": port["id"], "security-groups": group["id"],
            "floatingips": fip["id"]}


def _tags(api, token, path):
    r = api.get(f"{path}/tags", token=token)
    assert r.status_code == 200, r.text
    return r.json()["tags"]


@pytest.mark.parametrize("kind", ["networks", "subnets", "ports", "security-groups", "floatingips"])
def test_every_verb_on_every_taggable_resource(api, tokens, resources, kind):
    e, path = tokens["erin"], f"{NET}/{kind}/{resources[kind]}"
    singular = {"security-groups": "security_group"}.get(kind, kind.rstrip("s"))
    assert _tags(api, e, path) == []
    # PUT one: 201 and no body, twice (idempotent)
    for _ in range(2):
        r = api.request("PUT", f"{path}/tags/red", token=e)
        assert r.status_code == 201 and not r.content, r.text
    assert api.get(f"{path}/tags/red", token=e).status_code == 204
    neutron_error(api.get(f"{path}/tags/blue", token=e), 404, "TagNotFound")
    # PUT all: replaces, answers the new set
    r = api.request("PUT", f"{path}/tags", json={"tags": ["zeta", "alpha", "mid"]}, token=e)
    assert r.status_code == 200 and sorted(r.json()["tags"]) == ["alpha", "mid", "zeta"], r.text
    neutron_error(api.get(f"{path}/tags/red", token=e), 404, "TagNotFound")
    assert _tags(api, e, path) == ["alpha", "mid", "zeta"]
    # ... and the resource's own body shows them, sorted, shown and listed
    assert api.get(path, token=e).json()[singular]["tags"] == ["alpha", "mid", "zeta"]
    listed = api.get(f"{NET}/{kind}?id={resources[kind]}", token=e).json()[singular.replace("-", "_") + "s"]
    assert [x["tags"] for x in listed] == [["alpha", "mid", "zeta"]]
    # DELETE one: 204, then 404
    assert api.delete(f"{path}/tags/mid", token=e).status_code == 204
    neutron_error(api.delete(f"{path}/tags/mid", token=e), 404, "TagNotFound")
    assert _tags(api, e, path) == ["alpha", "zeta"]
    # DELETE all: 204, also when there are none left
    for _ in range(2):
        assert api.delete(f"{path}/tags", token=e).status_code == 204
    assert _tags(api, e, path) == []


def test_validation_as_neutron(api, tokens, resources):
    e, path = tokens["erin"], f"{NET}/networks/{resources['networks']}"
    for body in ({"tags": "red"}, {"tags": ["a", "a"]}, {"tags": [1]}, {"tags": ["x" * 256]}, {"other": []}, ["a"]):
        neutron_error(api.request("PUT", f"{path}/tags", json=body, token=e), 400, "InvalidInput")
    neutron_error(api.request("PUT", f"{path}/tags/{'y' * 256}", token=e), 400, "InvalidInput")
    assert api.request("PUT", f"{path}/tags/{'y' * 255}", token=e).status_code == 201
    # A tag may hold what a URL segment may: a space, a comma, unicode.
    assert api.request("PUT", f"{path}/tags", json={"tags": ["with space", "a,b", "café"]}, token=e).status_code == 200
    assert api.get(f"{path}/tags/with%20space", token=e).status_code == 204
    assert api.get(f"{path}/tags/caf%C3%A9", token=e).status_code == 204
    # A create may not set tags (Neutron: not allowed in POST).
    neutron_error(api.post(f"{NET}/networks", json={"network": {"name": "n", "tags": ["a"]}}, token=e), 400,
                  "InvalidInput")
    # Security group rules carry none: no routes, and their list refuses the filter.
    assert api.get(f"{NET}/security-group-rules?tags=a", token=e).status_code == 400
    api.delete(f"{path}/tags", token=e)


def test_missing_and_foreign_resources_are_404(api, tokens, resources):
    e, f = tokens["erin"], tokens["frank"]
    missing = f"{NET}/networks/00000000-0000-0000-0000-000000000000"
    neutron_error(api.get(f"{missing}/tags", token=e), 404, "NetworkNotFound")
    neutron_error(api.request("PUT", f"{missing}/tags/a", token=e), 404, "NetworkNotFound")
    neutron_error(api.get(f"{NET}/networks/not-a-uuid/tags", token=e), 404, "NetworkNotFound")
    for kind, type_ in (("networks", "NetworkNotFound"), ("ports", "PortNotFound"),
                        ("security-groups", "SecurityGroupNotFound")):
        path = f"{NET}/{kind}/{resources[kind]}"
        assert api.request("PUT", f"{path}/tags/mine", token=e).status_code == 201
        neutron_error(api.get(f"{path}/tags", token=f), 404, type_)
        neutron_error(api.get(f"{path}/tags/mine", token=f), 404, type_)
        neutron_error(api.request("PUT", f"{path}/tags/theirs", token=f), 404, type_)
        neutron_error(api.request("PUT", f"{path}/tags", json={"tags": []}, token=f), 404, type_)
        neutron_error(api.delete(f"{path}/tags/mine", token=f), 404, type_)
        neutron_error(api.delete(f"{path}/tags", token=f), 404, type_)
        assert _tags(api, e, path) == ["mine"]  # untouched
        # An admin may tag anyone's.
        assert api.request("PUT", f"{path}/tags/admins", token=tokens["admin"]).status_code == 201
        assert _tags(api, e, path) == ["admins", "mine"]
        assert api.delete(f"{path}/tags", token=e).status_code == 204


def test_shared_network_tags_are_readable_not_writable_by_others(api, tokens):
    admin, f = tokens["admin"], tokens["frank"]
    shared = create(api, "networks", admin, name="tags-shared", shared=True)
    path = f"{NET}/networks/{shared['id']}"
    assert api.request("PUT", f"{path}/tags/common", token=admin).status_code == 201
    assert _tags(api, f, path) == ["common"]
    assert api.get(f"{path}/tags/common", token=f).status_code == 204
    neutron_error(api.request("PUT", f"{path}/tags/mine", token=f), 404, "NetworkNotFound")
    neutron_error(api.delete(f"{path}/tags/common", token=f), 404, "NetworkNotFound")


def test_list_filters(api, tokens):
    e = tokens["erin"]
    nets = {}
    for name, tags in (("f-ab", ["a", "b"]), ("f-a", ["a"]), ("f-bc", ["b", "c"]), ("f-none", [])):
        nets[name] = create(api, "networks", e, name=name)["id"]
        r = api.request("PUT", f"{NET}/networks/{nets[name]}/tags", json={"tags": tags}, token=e)
        assert r.status_code == 200, r.text

    def listed(query):
        r = api.get(f"{NET}/networks?{query}", token=e)
        assert r.status_code == 200, r.text
        return {n["name"] for n in r.json()["networks"] if n["name"].startswith("f-")}

    assert listed("tags=a") == {"f-ab", "f-a"}
    assert listed("tags=a,b") == {"f-ab"}
    assert listed("tags=a&tags=b") == {"f-ab"}  # a repeated parameter adds its tags (Neutron)
    assert listed("tags-any=a,c") == {"f-ab", "f-a", "f-bc"}
    assert listed("not-tags=a,b") == {"f-a", "f-bc", "f-none"}
    assert listed("not-tags-any=a,c") == {"f-none"}
    assert listed("tags=b&not-tags-any=c") == {"f-ab"}
    assert listed("tags=nothing") == set()
    # with the other filters and paging
    assert listed("tags-any=a,b&name=f-bc") == {"f-bc"}
    r = api.get(f"{NET}/networks?tags=a&limit=1", token=e)
    assert len(r.json()["networks"]) == 1 and r.json()["networks_links"]
    # another project sees none of them by its tags
    assert api.get(f"{NET}/networks?tags=a", token=tokens["frank"]).json()["networks"] == []


def test_tags_go_with_their_resource(api, tokens):
    e = tokens["erin"]
    net = create(api, "networks", e, name="doomed")
    subnet = create(api, "subnets", e, network_id=net["id"], cidr="10.92.0.0/24")
    for kind, id_ in (("networks", net["id"]), ("subnets", subnet["id"])):
        assert api.request("PUT", f"{NET}/{kind}/{id_}/tags/doomed", token=e).status_code == 201
    assert api.delete(f"{NET}/networks/{net['id']}", token=e).status_code == 204
    neutron_error(api.get(f"{NET}/subnets/{subnet['id']}/tags", token=e), 404, "SubnetNotFound")
    assert api.get(f"{NET}/networks?tags=doomed", token=tokens["admin"]).json()["networks"] == []
    assert api.get(f"{NET}/subnets?tags=doomed", token=tokens["admin"]).json()["subnets"] == []


def test_extensions_advertised(api, tokens):
    aliases = {x["alias"] for x in api.get(f"{NET}/extensions", token=tokens["erin"]).json()["extensions"]}
    assert {"tag", "standard-attr-tag"} <= aliases and "tag-ext" not in aliases
