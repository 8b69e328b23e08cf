"""Live responses of the compute API validated against Tempest's own response schemas
(tempest.lib.api_schema.response.compute.*), at 2.1 and at our maximum microversion, so the bodies cannot
drift from Nova's. Tempest's service clients select the schema per microversion and validate with jsonschema;
they run in Tempest's virtualenv (built on first use by devtools.tempest), called here as a subprocess."""
import json
import subprocess
from pathlib import Path

from api.common.microversions import MAX_VERSION_STRING
from devtools.tempest import ensure_venv

from .stack import ADMIN_PASSWORD

PROBE = Path(__file__).with_name("tempest_schema_probe.py")


def test_responses_match_tempest_schemas(api):
    python = ensure_venv() / "python"
    versions = sorted({"2.1", MAX_VERSION_STRING}, key=lambda v: tuple(map(int, v.split("."))))
    cfg = {"auth_url": api.url("/identity/v3"), "username": "admin", "password": ADMIN_PASSWORD,
           "project": "admin", "image_id": api.image_id(), "microversions": versions}
    res = subprocess.run([str(python), str(PROBE)], input=json.dumps(cfg), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    # Every call was made at every version (a probe that silently checked nothing would pass).
    assert len(out["checked"]) >= 30 * len(versions), out["checked"]
    assert not out["failures"], "\n\n".join(f"{k}:\n{v}" for k, v in out["failures"].items())
