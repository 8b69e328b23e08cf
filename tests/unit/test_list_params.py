"""The list parameters every list shares: paging (limit, marker, offset) and the server `name` regex."""
import time

import pytest
from django.conf import settings
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.common.pagination import MAX_INTEGER, Page, page_params
from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.selectors import name_matcher


def page(query: str, **kw):
    return page_params(Request(APIRequestFactory().get(f"/compute/v2.1/servers?{query}")), **kw)


def test_defaults_and_caps():
    assert page("").limit == settings.API_MAX_LIMIT and page("").marker is None and page("").offset == 0
    assert page(f"limit={MAX_INTEGER}").limit == settings.API_MAX_LIMIT  # capped, as Nova
    assert page("limit=5000", max_limit=1000).limit == 1000
    assert page("limit=0").limit == 0  # an empty page, as Nova and Glance answer it
    assert page(f"limit=2&marker=abc&offset={MAX_INTEGER}") == Page(limit=2, marker="abc", offset=MAX_INTEGER)


@pytest.mark.parametrize("query, message", [
    ("limit=-1", "limit param must be positive"),
    ("limit=abc", "limit param must be an integer"),
    ("limit=99999999999999999999", f"limit param must be at most {MAX_INTEGER}"),
    ("limit=1.5", "limit param must be an integer"),
    ("offset=-1", "offset param must be positive"),
    ("offset=x", "offset param must be an integer"),
    ("offset=99999999999999999999", f"offset param must be at most {MAX_INTEGER}"),
    ("marker=" + "m" * 256, "not found"),
])
def test_bad_values_are_400(query, message):
    with pytest.raises(BadRequest, match=message):
        page(query)


def test_name_is_a_regex_found_anywhere():
    matches = name_matcher("^web-[0-9]+$")
    assert matches("web-12") and not matches("web-x") and not matches("old-web-1")
    assert name_matcher("db")("prod-db-1")


def test_pathological_pattern_answers_at_once():
    # Backtracking engines take exponential time here; RE2 is linear in the name.
    matches = name_matcher("(a+)+(a+)+b")
    started = time.monotonic()
    assert not any(matches("a" * n) for n in range(1, 2000))
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("pattern", ["(", "(a)\\1", "(?=a)a", "x" * 256])
def test_invalid_or_unbounded_patterns_are_400(pattern):
    with pytest.raises(BadRequest, match="Invalid regular expression"):
        name_matcher(pattern)
