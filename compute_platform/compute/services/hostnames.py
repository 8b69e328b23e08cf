"""A server's guest hostname, as Nova derives it from the server's name (nova/utils.py sanitize_hostname)."""
import re


def hostname_sanitize(name: str) -> str:
    """RFC 952/1123 characters, at most 63 long (dnsmasq's limit); "" when nothing is left."""
    hostname = name.encode("latin-1", "ignore").decode("latin-1")[:63]
    hostname = re.sub(r"[ _\.]", "-", hostname)
    hostname = re.sub(r"[^\w.-]+", "", hostname)
    return hostname.lower().strip(".-")


def hostname_for(*, name: str, instance_uuid, count: int, index: int) -> str:
    """The hostname of the `index`th server (from 0) of a create of `count` servers named `name`."""
    hostname = hostname_sanitize(name)
    if not hostname:
        return f"Server-{instance_uuid}"
    return f"{hostname}-{index + 1}" if count > 1 else hostname
