"""The API's JSON renderer: same JSON as DRF's for our bodies, with a fallback for what orjson lacks."""
import datetime
import json
import uuid
from decimal import Decimal

from rest_framework.renderers import JSONRenderer

from api.common.renderers import OrjsonRenderer


def test_renders_the_same_json_as_drf_for_plain_bodies():
    body = {"servers": [{"id": str(uuid.uuid4()), "name": "vm é", "metadata": {"k": "v"}, "fault": None,
                         "OS-EXT-STS:power_state": 1, "links": [{"rel": "self", "href": "http://x/y"}]}]}
    assert json.loads(OrjsonRenderer().render(body)) == json.loads(JSONRenderer().render(body))


def test_falls_back_to_drf_for_types_orjson_does_not_serialize():
    body = {"size": Decimal("1.5"), "when": datetime.date(2026, 1, 2)}
    assert json.loads(OrjsonRenderer().render(body)) == {"size": 1.5, "when": "2026-01-02"}


def test_no_body_renders_empty():
    assert OrjsonRenderer().render(None) == b""
