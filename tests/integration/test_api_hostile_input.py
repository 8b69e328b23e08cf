"""Hostile input through the real server (gunicorn with compute_platform/gunicorn.conf.py): bodies too large
answer 413 and headers too large 431, both in the OpenStack shapes, while image data streams past the body
limit; Django's own error pages outside DRF are JSON too."""
import json
import os

import requests

STACK = {"hosts": []}  # no compute host needed: nothing here boots a server

BIG = 3 * 1024 * 1024  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)


def _big_json(key: str) -> str:
    return json.dumps({key: {"name": "x" * BIG}})


def test_a_json_body_over_the_limit_answers_413_overlimit(api):
    r = api.post("/compute/v2.1/servers", data=_big_json("server"), headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json() == {"overLimit": {"code": 413, "message": "Request is too large."}}
    assert r.headers["X-OpenStack-Request-ID"].startswith("req-")


def test_keystone_answers_its_own_413_shape(api):
    r = requests.post(api.url("/identity/v3/auth/tokens"), data=_big_json("auth"), timeout=60,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json() == {"error": {"code": 413, "title": "Request Entity Too Large",
                                  "message": "Request is too large."}}


def test_image_data_over_the_body_limit_still_uploads(api):
    r = api.post("/image/v2/images", json={"name": "big", "disk_format": "raw", "container_format": "bare"})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    data = os.urandom(BIG)
    r = api.request("PUT", f"/image/v2/images/{image_id}/file", data=data, timeout=120,
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    assert api.get(f"/image/v2/images/{image_id}").json()["size"] == BIG
    assert api.get(f"/image/v2/images/{image_id}/file").content == data


def test_a_header_over_the_api_limit_answers_431_in_json(api):
    r = api.get("/compute/v2.1/flavors", headers={"X-Padding": "p" * 20_000})
    assert r.status_code == 431, r.text
    body = r.json()["computeFault"]
    assert body["code"] == 431 and "at most 100 headers of 16384 bytes" in body["message"]
    many = {f"X-Extra-{i}": "1" for i in range(120)}
    r = api.get("/compute/v2.1/flavors", headers=many)
    assert r.status_code == 431 and r.json()["computeFault"]["code"] == 431, r.text


def test_a_header_over_gunicorns_default_reaches_the_api(api):
    """gunicorn's default (8190 bytes a field) would answer an HTML 431 here; its raised limit lets the API
    answer, here the 401 of an unknown token, in Keystone's shape."""
    r = requests.get(api.url("/compute/v2.1/flavors"), headers={"X-Auth-Token": "t" * 12_000}, timeout=30)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == 401


def test_django_error_pages_outside_drf_are_json(api):
    r = requests.get(api.url("/no/such/page"), timeout=30)
    assert r.status_code == 404 and r.json() == {"itemNotFound": {
        "code": 404, "message": "The resource could not be found."}}
    r = requests.get(api.url("/identity/v3/no/such/page"), timeout=30)
    assert r.status_code == 404 and r.json()["error"]["title"] == "Not Found"
    # A method a DRF view does not have.
    r = api.request("PATCH", "/compute/v2.1/flavors")
    assert r.status_code == 405 and r.json()["HTTPMethodNotAllowed"]["code"] == 405, r.text
