from .actions import InstanceAction, InstanceActionEvent
from .dispatch import DispatchBacklog
from .flavors import Flavor
from .hosts import Host
from .instances import Instance, InstanceFault
from .keypairs import KeyPair
from .migrations import Migration
from .quotas import ProjectQuota
from .server_groups import ServerGroup

__all__ = [
    "DispatchBacklog", "Flavor", "Host", "Instance", "InstanceAction", "InstanceActionEvent", "InstanceFault",
    "KeyPair", "Migration", "ProjectQuota", "ServerGroup",
]
