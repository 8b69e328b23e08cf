"""The Django admin console (/admin). Every model is registered here; anything that changes an
instance's or a host's state goes through the same services as the API (see common.py)."""
from . import action_log, catalog, hosts, identity, instances, keypairs, quotas, server_groups  # noqa: F401
