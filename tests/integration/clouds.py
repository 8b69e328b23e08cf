"""A clouds.yaml for a live stack, as a user of the real OpenStack clients would write it."""
from pathlib import Path

from .stack import ADMIN_PASSWORD, Stack

CLOUD = "local"


def write_clouds_yaml(stack: Stack, path: Path, *, username: str = "admin", password: str = ADMIN_PASSWORD,
                      project: str = "admin") -> Path:
    # The auth URL is the service root, not /v3: keystoneauth discovers the version from it, as it does
    # against a real Keystone.
    path.write_text(f"""clouds:
  {CLOUD}:
    auth:
      auth_url: {stack.url('/identity')}
      username: {username}
      password: {password}
      project_name: {project}
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
""")
    return path
