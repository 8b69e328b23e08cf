from .floating_ips import FloatingIP
from .networks import Network, Subnet
from .ports import IPAllocation, Port
from .quotas import NetworkQuota
from .security_groups import GroupSetHolder, SecurityGroup, SecurityGroupRule
from .tags import FloatingIPTag, NetworkTag, PortTag, SecurityGroupTag, SubnetTag

__all__ = ["FloatingIP", "FloatingIPTag", "GroupSetHolder", "IPAllocation", "Network", "NetworkQuota", "NetworkTag", "Port",
           "PortTag", "SecurityGroup", "SecurityGroupRule", "SecurityGroupTag", "Subnet", "SubnetTag"]
