"""The network data plane of a libvirt host: a Linux bridge per network, dnsmasq in a namespace per network
serving each port its fixed IP by MAC (and a metadata proxy on 169.254.169.254 beside it), and nftables chains
per port for security groups.

Pure Python driven by `hypervisors.base.VifSpec` values (no Django). `DataPlane` is the one entry point; the
libvirt driver plugs and unplugs ports through it, and worker start reconciles it with the database's truth.
"""
from .commands import NetplaneError
from .plane import DataPlane, ReconcileReport

__all__ = ["DataPlane", "NetplaneError", "ReconcileReport"]
