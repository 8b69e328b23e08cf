from .actions import InstanceAction, InstanceActionEvent
from .flavors import Flavor
from .hosts import Host
from .identity import Project, RoleAssignment, Token
from .images import Image
from .instances import Instance, InstanceFault

__all__ = [
    "Flavor", "Host", "Image", "Instance", "InstanceAction", "InstanceActionEvent", "InstanceFault",
    "Project", "RoleAssignment", "Token",
]
