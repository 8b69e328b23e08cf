from .actions import InstanceAction, InstanceActionEvent
from .aggregates import Aggregate
from .dispatch import DispatchBacklog
from .flavors import Flavor, FlavorAccess
from .hosts import Host
from .instances import Instance, InstanceFault
from .keypairs import KeyPair
from .migrations import Migration
from .quotas import ProjectQuota, QuotaClass, UserQuota
from .server_groups import ServerGroup
from .tags import InstanceTag

__all__ = [
    "Aggregate", "DispatchBacklog", "Flavor", "FlavorAccess", "Host", "Instance", "InstanceAction", "InstanceActionEvent", "InstanceFault",
    "InstanceTag", "KeyPair", "Migration", "ProjectQuota", "QuotaClass", "ServerGroup", "UserQuota",
]
