"""The network service's errors. `fault` is Neutron's error type (`{"NeutronError": {"type": ...}}`);
api/common/errors.py renders every error under /network in that shape."""
from compute_platform.compute.exceptions import BadRequest, Conflict, Forbidden, NotFound


class NeutronNotFound(NotFound):
    def __init__(self, kind: str, resource_id):
        # Neutron's words: "Network 5f... could not be found."
        super().__init__(f"{kind} {resource_id} could not be found.")
        # ... and its type: "Security group" -> SecurityGroupNotFound
        self.fault = "".join(word[0].upper() + word[1:] for word in kind.split()) + "NotFound"


class InvalidInput(BadRequest):
    fault = "InvalidInput"

    def __init__(self, message: str):
        super().__init__(f"Invalid input for operation: {message}")


class InUse(Conflict):
    fault = "InUse"


class IpAddressGenerationFailure(Conflict):
    fault = "IpAddressGenerationFailure"

    def __init__(self, network_id):
        super().__init__(f"No more IP addresses available on network {network_id}.")


class IpAddressAlreadyAllocated(Conflict):
    fault = "IpAddressAlreadyAllocated"

    def __init__(self, ip: str, subnet_id):
        super().__init__(f"IP address {ip} already allocated in subnet {subnet_id}")


class MacAddressInUse(Conflict):
    fault = "MacAddressInUse"

    def __init__(self, mac: str, network_id):
        super().__init__(f"Unable to complete operation for network {network_id}. The mac address {mac} is in use.")


class OverQuota(Conflict):
    """Neutron answers an exceeded quota with 409 OverQuota."""

    fault = "OverQuota"

    def __init__(self, resource: str):
        super().__init__(f"Quota exceeded for resources: ['{resource}'].")
        self.resource = resource


class PolicyNotAuthorized(Forbidden):
    fault = "PolicyNotAuthorized"

    def __init__(self, action: str):
        super().__init__(f"(rule:{action}) is disallowed by policy")


class TagNotFound(NotFound):
    fault = "TagNotFound"

    def __init__(self, tag: str):
        super().__init__(f"Tag {tag} could not be found.")
