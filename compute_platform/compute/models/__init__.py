from .actions import InstanceAction, InstanceActionEvent
from .dispatch import DispatchBacklog
from .flavors import Flavor
from .hosts import Host
from .identity import Project, RoleAssignment, Token
from .images import Image
from .instances import Instance, InstanceFault
from .keypairs import KeyPair
from .quotas import ProjectQuota
from .server_groups import ServerGroup

__all__ = [
    "DispatchBacklog", "Flavor", "Host", "Image", "Instance", "InstanceAction", "InstanceActionEvent", "InstanceFault",
    "KeyPair", "Project", "ProjectQuota", "RoleAssignment", "ServerGroup", "Token",
]
