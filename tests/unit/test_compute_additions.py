"""Pure rules of the compute additions: quota arithmetic and wording, the server-group filter, keypair
fingerprints and name validation (Nova's behaviour, no services needed)."""
import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.scheduler.filters import HostState, RequestSpec, filter_hosts
from compute_platform.compute.services.keypairs import (keypair_validate_name, ssh_fingerprint,
                                                        ssh_keypair_generate, x509_fingerprint,
                                                        x509_keypair_generate)
from compute_platform.compute.services.quotas import (quota_allowed_count, quota_exceeded_message,
                                                      quota_validate_update)

LIMITS = {"instances": 5, "cores": 10, "ram": 4096}


def test_allowed_count_is_bounded_by_every_finite_limit():
    usage = {"instances": 3, "cores": 4, "ram": 1024}
    deltas = {"instances": 1, "cores": 2, "ram": 512}
    assert quota_allowed_count(limits=LIMITS, usage=usage, deltas=deltas, max_count=10) == 2  # instances
    assert quota_allowed_count(limits={**LIMITS, "instances": -1}, usage=usage, deltas=deltas, max_count=10) == 3
    assert quota_allowed_count(limits={k: -1 for k in LIMITS}, usage=usage, deltas=deltas, max_count=10) == 10
    full = {"instances": 5, "cores": 4, "ram": 0}
    assert quota_allowed_count(limits=LIMITS, usage=full, deltas=deltas, max_count=1) == 0


def test_exceeded_message_uses_novas_wording():
    usage = {"instances": 5, "cores": 5, "ram": 0}
    assert quota_exceeded_message(limits=LIMITS, usage=usage, requested={"instances": 1, "cores": 1, "ram": 512}) \
        == "Quota exceeded for instances: Requested 1, but already used 5 of 5 instances"
    both = quota_exceeded_message(limits=LIMITS, usage={"instances": 5, "cores": 10, "ram": 0},
                                  requested={"instances": 1, "cores": 2, "ram": 512})
    assert both == "Quota exceeded for cores, instances: Requested 2, but already used 10 of 10 cores, instances"
    assert quota_exceeded_message(limits=LIMITS, usage={"instances": 0, "cores": 0, "ram": 0},
                                  requested={"instances": 1, "cores": 1, "ram": 1}) is None


def test_update_validation():
    quota_validate_update(resource="instances", limit=-1, in_use=50)
    quota_validate_update(resource="instances", limit=5, in_use=5)
    with pytest.raises(BadRequest, match="must be -1 or greater"):
        quota_validate_update(resource="instances", limit=-2, in_use=0)
    with pytest.raises(BadRequest, match="already used and reserved 6"):
        quota_validate_update(resource="instances", limit=5, in_use=6)


def hosts(n):
    return [HostState(id=i, name=f"h{i}", availability_zone="nova", enabled=True, is_up=True, free_vcpus=8,
                      free_memory_mb=4096, free_disk_gb=100) for i in range(1, n + 1)]


def group_spec(policy, members, max_per_host=1):
    return RequestSpec(instance_uuid="u", project_id="p", vcpus=1, memory_mb=512, root_gb=1, group_policy=policy,
                       group_hosts=members, group_max_per_host=max_per_host)


def test_server_group_filter():
    def kept(spec):
        return [h.id for h in filter_hosts(hosts(3), spec)[0]]
    assert kept(group_spec("affinity", {})) == [1, 2, 3]          # first member: anywhere
    assert kept(group_spec("affinity", {2: 1})) == [2]            # then with the others
    assert kept(group_spec("anti-affinity", {1: 1, 3: 1})) == [2]
    assert kept(group_spec("anti-affinity", {1: 1, 2: 1, 3: 1})) == []
    assert kept(group_spec("anti-affinity", {1: 1, 2: 2}, max_per_host=2)) == [1, 3]
    _, report = filter_hosts(hosts(2), group_spec("anti-affinity", {1: 1, 2: 1}))
    assert "server_group_filter: 2 -> 0" in report


def test_ssh_fingerprint_is_md5_of_the_key_blob():
    private, public = ssh_keypair_generate()
    assert public.startswith("ssh-rsa ") and public.endswith(" Generated-by-Nova")
    assert serialization.load_pem_private_key(private.encode(), password=None).key_size == 2048
    digest = hashlib.md5(base64.b64decode(public.split()[1])).hexdigest()
    assert ssh_fingerprint(public) == ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    for bad in ("", "ssh-rsa", "ssh-rsa AAAA", "hello world", "ssh-rsa !!!"):
        with pytest.raises(BadRequest, match="Keypair data is invalid"):
            ssh_fingerprint(bad)


def test_x509_fingerprint():
    _, cert = x509_keypair_generate(common_name="u")
    assert len(x509_fingerprint(cert).split(":")) == 20  # SHA-1
    with pytest.raises(BadRequest, match="X509"):
        x509_fingerprint("not a certificate")


@pytest.mark.parametrize("name,ok", [("key-1_a b", True), ("x" * 255, True), ("", False), ("x" * 256, False),
                                     ("a/b", False), (" a", False), ("a ", False), ("a.b", False), ("é", False)])
def test_keypair_names(name, ok):
    if ok:
        keypair_validate_name(name)
    else:
        with pytest.raises(BadRequest):
            keypair_validate_name(name)
