"""What microversions remove from os-quota-sets and /limits: the network proxies' quotas from 2.36 and the
personality (file injection) ones from 2.57, as Nova."""
from ..common.microversions import version_at_least

QUOTA_REMOVED = (("2.36", ("fixed_ips", "floating_ips", "security_group_rules", "security_groups", "networks")),
                 ("2.57", ("injected_file_content_bytes", "injected_file_path_bytes", "injected_files")))
LIMITS_REMOVED = (("2.36", ("maxSecurityGroups", "maxSecurityGroupRules", "maxTotalFloatingIps",
                            "totalSecurityGroupsUsed", "totalFloatingIpsUsed")),
                  ("2.39", ("maxImageMeta",)),
                  ("2.57", ("maxPersonality", "maxPersonalitySize")))


def removed_keys(request, table) -> set[str]:
    return {key for step, keys in table if version_at_least(request, step) for key in keys}


def without_removed(request, body: dict, table) -> dict:
    """`body` without the keys the request's version no longer has."""
    gone = removed_keys(request, table)
    return {k: v for k, v in body.items() if k not in gone}
