"""Loaded by the `openstack` processes the CLI tests start (their PYTHONPATH has this folder): osc-lib's
`--wait` checks a resource, sleeps 5 s, checks again. Against the fake hosts a boot or a move ends in well under
a second, so each `--wait` slept a whole 5 s after its first check (2 s for `server delete --wait`, through
openstacksdk), some 15 times a run. Here both poll every 0.3 s; the CLI's own commands and wait loops are
otherwise unchanged. (Both modules are imported by `openstack` itself anyway: no start-up cost.)"""
import functools

from openstack.compute.v2 import _proxy as compute_proxy
from osc_lib import utils

POLL_SECONDS = 0.3


def _faster(wait, argument="sleep_time"):
    @functools.wraps(wait)
    def polled(*args, **kwargs):
        kwargs.setdefault(argument, POLL_SECONDS)
        return wait(*args, **kwargs)
    return polled


utils.wait_for_status = _faster(utils.wait_for_status)
utils.wait_for_delete = _faster(utils.wait_for_delete)
compute_proxy.Proxy.wait_for_delete = _faster(compute_proxy.Proxy.wait_for_delete, "interval")
