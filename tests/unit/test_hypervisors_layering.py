"""hypervisors/ is pure Python: it must import nothing from Django, DRF or the layers above it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "hypervisors"
FORBIDDEN = frozenset({"django", "rest_framework", "compute_platform", "api", "tasks"})


def forbidden_imports(source: str, module: str) -> list[str]:
    """Top-level modules from FORBIDDEN that `source` (the module named `module`) imports, anywhere."""
    found = []
    package_parts = module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.ImportFrom):
            # a relative import that climbs out of hypervisors/ lands in a sibling layer
            base = package_parts[: len(package_parts) - (node.level - 1)]
            names = [".".join(base + [node.module or ""]) if base else f"{'.' * node.level}{node.module}"]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FORBIDDEN or not top:
                found.append(f"line {node.lineno}: {name}")
    return found


def hypervisor_modules() -> list[tuple[str, Path]]:
    return [
        (".".join(path.relative_to(ROOT).with_suffix("").parts), path)
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_the_walk_finds_the_package():
    modules = dict(hypervisor_modules())
    assert {"hypervisors.__init__", "hypervisors.base", "hypervisors.fake"} <= set(modules)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import django.db", 1),
        ("from rest_framework import serializers", 1),
        ("def f():\n    from compute_platform.compute import models", 1),
        ("import os, tasks.instances", 1),
        ("from ... import api", 1),  # from hypervisors/libvirt/x.py: climbs above the project root
        ("from .. import base\nfrom .guest import Guest\nimport apix", 0),
    ],
)
def test_checker_catches_forbidden_imports(source, expected):
    assert len(forbidden_imports(source, "hypervisors.libvirt.driver")) == expected


def test_hypervisors_import_no_upper_layer():
    offenders = {
        str(path.relative_to(ROOT)): bad
        for module, path in hypervisor_modules()
        if (bad := forbidden_imports(path.read_text(), module))
    }
    assert offenders == {}


def test_importing_hypervisors_loads_no_upper_layer():
    # A fresh interpreter: catches imports made indirectly, e.g. through a helper module outside the package.
    code = (
        "import sys, hypervisors, hypervisors.base, hypervisors.fake\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
