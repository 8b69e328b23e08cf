from .floating_ips import FloatingIP
from .networks import Network, Subnet
from .ports import IPAllocation, Port
from .quotas import NetworkQuota
from .security_groups import GroupSetHolder, SecurityGroup, SecurityGroupRule

__all__ = ["FloatingIP", "GroupSetHolder", "IPAllocation", "Network", "NetworkQuota", "Port", "SecurityGroup", "SecurityGroupRule",
           "Subnet"]
