"""Django's own error pages, raised outside DRF, answer in the OpenStack JSON shapes."""
from django.test import Client

BIG = 3 * 1024 * 1024


def test_a_form_body_over_the_limit_outside_drf_answers_413_json():
    # The admin's login form parses the body itself (no DRF): Django's RequestDataTooBig goes to handler400.
    r = Client().post("/admin/login/", data={"username": "x" * BIG})
    assert r.status_code == 413
    assert r.json() == {"overLimit": {"code": 413, "message": "Request is too large."}}


def test_an_unknown_path_answers_404_json():
    r = Client().get("/nowhere")
    assert r.status_code == 404 and r.json()["itemNotFound"]["code"] == 404
