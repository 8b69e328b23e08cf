"""The OpenAPI document (/api/schema/) is complete: generated without a warning, valid OpenAPI 3,
and it documents the bodies, status codes and security the API really has."""
import json

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

SERVERS = "/compute/v2.1/servers"
SERVER = "/compute/v2.1/servers/{server_id}"
LEGACY_SERVER = "/compute/v2.1/{project_id}/servers/{server_id}"


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()  # warnings of earlier generations in this process must not count
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "schema generation emitted warnings or errors (run manage.py spectacular)"
    return generated


def _resolve(schema, ref_or_schema):
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else ref_or_schema


def _json_body(operation, code):
    return operation["responses"][str(code)]["content"]["application/json"]["schema"]


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield path, method, operation


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_management_command_passes_with_validate_and_fail_on_warn(tmp_path):
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out))
    assert json.loads(out.read_text())["paths"]


def test_keystone_token_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["keystoneToken"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-Auth-Token"}
    assert schema["paths"][SERVERS]["get"]["security"] == [{"keystoneToken": []}]
    # Getting a token and reading version documents need none.
    assert "keystoneToken" not in str(schema["paths"]["/identity/v3/auth/tokens"]["post"].get("security", []))
    for path in ("/", "/compute/", "/compute/v2.1/", "/identity/v3", "/image/v2"):
        assert "keystoneToken" not in str(schema["paths"][path]["get"].get("security", [])), path


def test_every_operation_is_documented(schema):
    operation_ids = []
    for path, method, operation in _operations(schema):
        operation_ids.append(operation["operationId"])
        assert operation.get("summary"), (method, path)
        assert operation.get("tags"), (method, path)
        assert any(code.startswith("2") or code == "300" for code in operation["responses"]), (method, path)
        if method in ("post", "put"):
            assert "requestBody" in operation, (method, path)
    assert len(operation_ids) == len(set(operation_ids))


def test_server_create(schema):
    operation = schema["paths"][SERVERS]["post"]
    request = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert request["required"] == ["server"]
    server = _resolve(schema, request["properties"]["server"])
    assert {"name", "flavorRef"} <= set(server["required"])
    # Nova's: imageRef may be left out when a boot volume is mapped (block_device_mapping_v2)
    assert "imageRef" not in server["required"] and "block_device_mapping_v2" in server["properties"]
    assert "os:scheduler_hints" in request["properties"]
    created = _resolve(schema, _resolve(schema, _json_body(operation, 202))["properties"]["server"])
    assert {"id", "links", "adminPass"} <= set(created["properties"])
    assert "Location" in operation["responses"]["202"]["headers"]
    assert "200" not in operation["responses"] and "201" not in operation["responses"]
    assert _resolve(schema, _json_body(operation, 400))["properties"].keys() == {"badRequest"}


def test_server_show_and_delete(schema):
    show = schema["paths"][SERVER]["get"]
    detail = _resolve(schema, _resolve(schema, _json_body(show, 200))["properties"]["server"])
    assert {"status", "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state", "flavor", "image"} <= set(detail["required"])
    assert _resolve(schema, _json_body(show, 404))["properties"].keys() == {"itemNotFound"}
    delete = schema["paths"][SERVER]["delete"]
    assert "204" in delete["responses"] and "content" not in delete["responses"]["204"]


def test_server_actions(schema):
    operation = schema["paths"]["/compute/v2.1/servers/{server_id}/action"]["post"]
    assert "content" not in operation["responses"]["202"]
    answers = _resolve(schema, _json_body(operation, 200))["oneOf"]
    assert [set(_resolve(schema, ref)["properties"]) for ref in answers] == [{"output", "adminPass"}, {"console"}]
    actions = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])["oneOf"]
    keys = {key for ref in actions for key in _resolve(schema, ref)["properties"]}
    assert {"os-start", "os-stop", "pause", "unpause", "suspend", "resume", "reboot", "os-getConsoleOutput",
            "os-getSerialConsole", "restore", "forceDelete", "rebuild", "createImage", "shelve", "shelveOffload",
            "unshelve", "lock", "unlock", "rescue", "unrescue", "os-resetState", "addSecurityGroup",
            "removeSecurityGroup", "trigger_crash_dump"} <= keys
    assert keys >= {"resize", "confirmResize", "revertResize", "migrate", "os-migrateLive", "evacuate"}  # moves
    assert "409" in operation["responses"]


def test_remote_consoles(schema):
    operation = schema["paths"]["/compute/v2.1/servers/{server_id}/remote-consoles"]["post"]
    body = _resolve(schema, _json_body(operation, 200))["properties"]["remote_console"]
    assert set(_resolve(schema, body)["properties"]) == {"protocol", "type", "url"}
    assert {"400", "404", "409"} <= set(operation["responses"])


def test_errors_are_in_openstack_shapes(schema):
    hypervisors = schema["paths"]["/compute/v2.1/os-hypervisors"]["get"]
    assert _resolve(schema, _json_body(hypervisors, 403))["properties"].keys() == {"forbidden"}
    assert _resolve(schema, _json_body(hypervisors, 401))["properties"].keys() == {"error"}
    token = schema["paths"]["/identity/v3/auth/tokens"]["post"]
    assert _resolve(schema, _json_body(token, 401))["properties"].keys() == {"error"}
    assert _resolve(schema, _json_body(token, 400))["properties"].keys() == {"error"}


def test_both_url_forms_have_typed_path_parameters(schema):
    for path in (SERVER, LEGACY_SERVER):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "path"}
        assert params.keys() == ({"server_id", "project_id"} if "{project_id}" in path else {"server_id"})
        assert all(p["schema"]["type"] == "string" and p["required"] for p in params.values())
    assert schema["paths"][LEGACY_SERVER]["get"]["operationId"] == "compute_server_show_by_project"


def test_server_list_filters(schema):
    operation = schema["paths"][SERVERS]["get"]
    query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert {"name", "status", "host", "flavor", "image", "changes-since", "all_tenants", "limit", "marker"} <= query


def test_other_status_codes(schema):
    paths = schema["paths"]
    assert "201" in paths["/identity/v3/auth/tokens"]["post"]["responses"]
    assert "X-Subject-Token" in paths["/identity/v3/auth/tokens"]["post"]["responses"]["201"]["headers"]
    assert "204" in paths["/identity/v3/auth/tokens"]["delete"]["responses"]
    assert "200" in paths["/compute/v2.1/flavors"]["post"]["responses"]  # as Nova
    assert "202" in paths["/compute/v2.1/flavors/{flavor_id}"]["delete"]["responses"]
    assert "201" in paths["/image/v2/images"]["post"]["responses"]
    assert "204" in paths["/image/v2/images/{image_id}"]["delete"]["responses"]
    assert "300" in paths["/image/"]["get"]["responses"]
    assert "post" not in paths["/compute/v2.1/servers/detail"]  # answers 405
