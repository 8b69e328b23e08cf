"""Microversion parsing and negotiation (api/common/microversions.py): pure functions, no services."""
import pytest

from api.common import microversions as mv


@pytest.mark.parametrize("text,expected", [("2.1", (2, 1)), ("2.10", (2, 10)), (" 2.2 ", (2, 2)),
                                           ("latest", mv.MAX_VERSION), ("LATEST", mv.MAX_VERSION)])
def test_parse(text, expected):
    assert mv.parse(text) == expected


@pytest.mark.parametrize("text", ["2", "2.", ".1", "2.1.1", "v2.1", "2.01", "02.1", "abc", ""])
def test_parse_rejects_malformed_strings(text):
    with pytest.raises(mv.InvalidVersion, match="invalid format"):
        mv.parse(text)


def test_versions_compare_numerically_not_as_strings():
    assert mv.parse("2.10") > mv.parse("2.9") > mv.parse("2.1")


@pytest.mark.parametrize("headers,expected", [
    ({}, (2, 1)),
    ({"OpenStack-API-Version": "compute 2.2"}, (2, 2)),
    ({"OpenStack-API-Version": "volume 3.0, compute 2.2"}, (2, 2)),
    ({"OpenStack-API-Version": "volume 3.5"}, (2, 1)),  # another service's version: default for compute
    ({"X-OpenStack-Nova-API-Version": "2.2"}, (2, 2)),
    ({"OpenStack-API-Version": "compute 2.1", "X-OpenStack-Nova-API-Version": "2.2"}, (2, 1)),  # new wins
    ({"OpenStack-API-Version": "compute latest"}, mv.MAX_VERSION),
])
def test_negotiate(headers, expected):
    assert mv.negotiate(headers) == expected


@pytest.mark.parametrize("asked", ["2.0", "1.1", "3.0", f"2.{mv.MAX_VERSION[1] + 1}"])
def test_negotiate_refuses_versions_outside_the_range(asked):
    with pytest.raises(mv.UnsupportedVersion, match=f"Minimum is 2.1 and maximum is {mv.MAX_VERSION_STRING}"):
        mv.negotiate({"OpenStack-API-Version": f"compute {asked}"})


def test_negotiate_rejects_garbage():
    with pytest.raises(mv.InvalidVersion):
        mv.negotiate({"X-OpenStack-Nova-API-Version": "two"})


def test_version_at_least():
    class Request:
        api_version = (2, 2)

    assert mv.version_at_least(Request(), "2.1") and mv.version_at_least(Request(), "2.2")
    assert not mv.version_at_least(Request(), "2.3")
    assert not mv.version_at_least(object(), "2.2")  # no negotiation happened: the default, 2.1
