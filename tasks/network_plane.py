"""The host's network data plane at worker start: the ports of every live instance the database places on
this host (built into VifSpecs exactly as a build would, tasks/specs.py) and the members of the remote groups
their rules name handed to the driver, which makes its bridges, DHCP servers, firewall chains and group sets
agree (hypervisors/netplane), and then their floating IPs (NAT). The database is the truth; what the host has
is a copy, rebuilt here like the mounts."""
import logging

from compute_platform.compute.models import Instance
from compute_platform.compute.states import VmState
from compute_platform.network.services.host_push import host_push_taken
from compute_platform.network.services.security_group_push import MEMBERS
from hypervisors.base import ComputeDriver, DriverError

from .network_push import host_floating_ip_specs, host_members_truth
from .runtime import get_driver, this_host
from .specs import instance_spec

logger = logging.getLogger(__name__)


def host_vifs_truth(host: str) -> dict:
    live = Instance.objects.filter(host__name=host).exclude(vm_state=VmState.DELETED).select_related("image")
    return {str(inst.uuid): instance_spec(inst).vifs for inst in live}


def host_network_reconcile() -> dict:
    driver, host = get_driver(), this_host()
    # Waiting pushes' markers go before the truth is read: a change from now on pushes again (host_push.py).
    host_push_taken(host=host, kinds=(MEMBERS,))
    if type(driver).reconcile_vifs is ComputeDriver.reconcile_vifs:
        # no host networking (the fake): its recorded sets are loaded again, and it holds what its ports name
        driver.apply_group_members(host_members_truth(host))
        return {}
    try:
        report = driver.reconcile_vifs(host_vifs_truth(host), host_members_truth(host))
        driver.apply_floating_ips(host_floating_ip_specs(host))
    except DriverError as exc:
        # the host's guests and volumes still recover; their networks are fixed by the next plug or restart
        logger.error("host %s: network data plane not reconciled: %s", host, exc)
        return {"error": str(exc)}
    logger.info("host %s network data plane reconciled: %s", host, {k: v for k, v in report.items() if v})
    return report
