"""A server's network follows it when its host changes: a move (resize, cold or live migration, evacuation,
and their reverts), a shelve offload (it leaves its host) and an unshelve of an offloaded server (it comes
back on a host, maybe another). The floating IPs of its ports are NATed where it runs now, and that host
loads the sets of the remote groups its ports' rules name. Its addresses do not change, so no other host
has anything to do."""
import logging

from ..models import FloatingIP, Port, SecurityGroupRule
from .floating_ip_push import floating_ips_push_hosts
from .security_group_push import security_group_members_push_hosts

logger = logging.getLogger(__name__)


def instance_network_moved(*, instance_uuid: str, source: str | None, dest: str | None) -> None:
    """The instance now runs on `dest` (None: on no host, offloaded), no longer on `source` (None: it ran
    nowhere, offloaded): both hosts refresh their floating IPs (the source's NAT for it goes, the
    destination's comes) and `dest` its group sets, once the caller's transaction commits. A server without
    ports sends nothing."""
    port_ids = list(Port.objects.filter(device_id=str(instance_uuid)).values_list("id", flat=True))
    if not port_ids:
        return
    why = f"instance {instance_uuid} moved from {source or 'no host'} to {dest or 'no host'}"
    if FloatingIP.objects.filter(port_id__in=port_ids).exists():
        floating_ips_push_hosts(why=why, hosts=[h for h in (source, dest) if h])
    if dest and SecurityGroupRule.objects.filter(security_group__ports__in=port_ids,
                                                 remote_group__isnull=False).exists():
        security_group_members_push_hosts(why=why, hosts=[dest])
    logger.info("%s: its network follows", why)
