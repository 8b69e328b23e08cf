"""The libvirt driver (needs libvirt-python; `hypervisors` registers it lazily by name)."""
