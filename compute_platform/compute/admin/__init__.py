"""The compute pages of the Django admin console (/admin); identity, images and volumes register theirs in
their own apps. Anything that changes an instance's or a host's state goes through the same services as
the API (see common.py)."""
from . import action_log, flavors, hosts, instances, keypairs, quotas, server_groups  # noqa: F401
from . import migrations  # noqa: F401  (moves)
from . import aggregates  # noqa: F401  (os-aggregates, read-only)
