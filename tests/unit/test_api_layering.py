"""api/ reaches the domain only through its services and selectors (plus exceptions, states and the
request context): no models, no scheduler, no tasks. A view validates, calls one service or selector,
and renders."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "api"
DOMAIN = "compute_platform"
ALLOWED = frozenset({"services", "selectors", "exceptions", "states", "context"})

def domain_imports(source: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every compute_platform module or name that `source` imports, anywhere."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == DOMAIN]


def forbidden_imports(source: str) -> list[str]:
    """Imports of compute_platform.<app>.<part> where <part> is not one of ALLOWED."""
    bad = []
    for line, name in domain_imports(source):
        parts = name.split(".")
        # `selectors_hosts` and the like are selectors too: modules named for what they read.
        if len(parts) < 3 or parts[2].split("_")[0] not in ALLOWED:
            bad.append(f"line {line}: {name}")
    return bad


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from compute_platform.compute.models import Flavor", 1),
        ("from compute_platform.identity.models.tokens import Token", 1),
        ("def f():\n    import compute_platform.images.models", 1),
        ("from compute_platform.compute.scheduler import claims", 1),
        ("from compute_platform import settings", 1),
        ("from compute_platform.compute import models", 1),
        ("from compute_platform.compute import selectors\nfrom compute_platform.images.selectors import image_get", 0),
        ("from compute_platform.compute import selectors_hosts", 0),
        ("from compute_platform.compute import models_extra", 1),
        ("from compute_platform.identity.services.tokens import token_issue\n"
         "from compute_platform.compute.exceptions import NotFound\nfrom compute_platform.compute.states import x\n"
         "from compute_platform.compute.context import RequestContext\nfrom ..common import views", 0),
    ],
)
def test_checker_catches_model_imports(source, expected):
    assert len(forbidden_imports(source)) == expected


def test_api_reaches_the_domain_only_through_services_and_selectors():
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in sorted(PACKAGE.rglob("*.py"))
        if (bad := forbidden_imports(path.read_text()))
    }
    assert offenders == {}
