"""block_device_mapping_v2 at boot: Nova's JSON schema per microversion is the one copy of its rules, and
the create serializer's field only normalises what passed it."""
from types import SimpleNamespace

import pytest

from api.common.microversions import parse
from api.compute.serializers import BlockDeviceMappingsField
from api.compute.server_request_versions import CREATE, versioned_keys
from compute_platform.compute.exceptions import BadRequest

VOLUME = "6f1f4d7e-0000-4000-8000-000000000000"


def create(version: str, **mapping):
    item = {"source_type": "volume", "destination_type": "volume", "uuid": VOLUME, "boot_index": 0, **mapping}
    request = SimpleNamespace(api_version=parse(version))
    return versioned_keys(request, {"block_device_mapping_v2": [item]}, CREATE)["block_device_mapping_v2"]


@pytest.mark.parametrize("version,key,allowed", [
    ("2.1", "tag", False), ("2.32", "tag", True), ("2.33", "tag", False), ("2.41", "tag", False),
    ("2.42", "tag", True), ("2.66", "volume_type", False), ("2.67", "volume_type", True)])
def test_tag_and_volume_type_exist_at_novas_microversions(version, key, allowed):
    if allowed:
        assert create(version, **{key: "x"})[0][key] == "x"
    else:
        with pytest.raises(BadRequest, match="Additional properties are not allowed"):
            create(version, **{key: "x"})


@pytest.mark.parametrize("mapping", [{"source_type": "disk"}, {"boot_index": "first"}, {"volume_size": 0},
                                     {"delete_on_termination": "maybe"}, {"uuid": "a/b"}, {"destination_type": None}])
def test_the_schema_refuses_what_nova_refuses(mapping):
    with pytest.raises(BadRequest, match="block_device_mapping_v2"):
        create("2.1", **mapping)


def test_the_field_normalises_the_strings_nova_takes():
    (m,) = BlockDeviceMappingsField().to_internal_value(
        create("2.1", boot_index="0", volume_size="2", delete_on_termination="yes"))
    assert (m["boot_index"], m["volume_size"], m["delete_on_termination"]) == (0, 2, True)
    (m,) = BlockDeviceMappingsField().to_internal_value(create("2.1", boot_index=None))
    assert (m["boot_index"], m["volume_size"], m["delete_on_termination"]) == (None, None, False)
