"""Scheduler filters and weigher, as pure functions."""
from compute_platform.compute.scheduler.filters import HostState, RequestSpec, filter_hosts
from compute_platform.compute.scheduler.weighers import weigh_hosts


def host(name, *, ram=4096, vcpus=8, disk=100, az="nova", enabled=True, up=True, hid=0):
    return HostState(id=hid, name=name, availability_zone=az, enabled=enabled, is_up=up, free_vcpus=vcpus,
                     free_memory_mb=ram, free_disk_gb=disk)


def spec(**kw):
    base = dict(instance_uuid="u", project_id="p", vcpus=1, memory_mb=512, root_gb=1)
    base.update(kw)
    return RequestSpec(**base)


def names(hosts):
    return [h.name for h in hosts]


def test_disabled_and_down_hosts_are_filtered_out():
    passed, report = filter_hosts([host("a"), host("b", enabled=False), host("c", up=False)], spec())
    assert names(passed) == ["a"]
    assert report[0] == "compute_filter: 3 -> 1"


def test_resources_must_fit_exactly_or_better():
    hosts = [host("ram", ram=511), host("cpu", vcpus=0.5), host("disk", disk=0), host("fits", ram=512, vcpus=1,
                                                                                     disk=1)]
    passed, _ = filter_hosts(hosts, spec())
    assert names(passed) == ["fits"]


def test_availability_zone_filter_only_when_asked():
    hosts = [host("a", az="nova"), host("b", az="edge")]
    assert names(filter_hosts(hosts, spec())[0]) == ["a", "b"]
    assert names(filter_hosts(hosts, spec(availability_zone="edge"))[0]) == ["b"]


def test_report_stops_at_the_filter_that_emptied_the_list():
    passed, report = filter_hosts([host("a", ram=100)], spec())
    assert passed == [] and report[-1] == "ram_filter: 1 -> 0" and len(report) == 6


def test_weigher_spreads_by_free_ram_and_breaks_ties_by_name():
    ordered = weigh_hosts([host("b", ram=1000), host("a", ram=1000), host("c", ram=5000)], spec())
    assert names(ordered) == ["c", "a", "b"]


def test_soft_group_policies_prefer_but_never_exclude():
    hosts = [host("a", ram=8000, hid=1), host("b", ram=1000, hid=2), host("c", ram=600, hid=3)]
    members = {2: 2, 3: 1}  # host id -> members of the group there
    soft = spec(group_policy="soft-affinity", group_hosts=members)
    assert [h.name for h in filter_hosts(hosts, soft)[0]] == ["a", "b", "c"]  # no host is filtered out
    assert [h.name for h in weigh_hosts(hosts, soft)] == ["b", "c", "a"]
    anti = spec(group_policy="soft-anti-affinity", group_hosts=members)
    assert [h.name for h in weigh_hosts(hosts, anti)] == ["a", "c", "b"]
