"""A server's row as the list and show read it: ids and timestamps formatted by PostgreSQL must be the
strings api/common/timefmt.py makes from the same values (the API's forms), and equal in a list and alone."""
from datetime import datetime, timezone

from api.common.timefmt import iso_usec, iso_z
from compute_platform.compute.models import Instance
from compute_platform.compute.selectors import instance_list, instance_row


def test_the_database_formats_ids_and_timestamps_as_the_api_does(world):
    host = world.host("node1")
    inst = world.instance(host=host)
    # A whole second (to_char must still print .000000) and a past year; a terminated time with microseconds.
    Instance.objects.filter(pk=inst.pk).update(
        launched_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc),
        terminated_at=datetime(2026, 12, 31, 23, 59, 59, 654321, tzinfo=timezone.utc), metadata={"k": "v"})
    inst.refresh_from_db()
    row = instance_row(inst)
    assert row["server_id"] == str(inst.uuid)
    assert row["created"] == iso_z(inst.created_at) and row["updated"] == iso_z(inst.updated_at)
    assert row["launched"] == "2025-03-04T05:06:07.000000" == iso_usec(inst.launched_at)
    assert row["terminated"] == "2026-12-31T23:59:59.654321" == iso_usec(inst.terminated_at)
    assert row["metadata_json"] == '{"k": "v"}' and row["image_ref"] == str(world.image.id)
    listed = instance_list(context=world.context(), filters={}, limit=10, marker=None)
    assert listed == [row]


def test_the_row_carries_its_tags_volumes_and_ports_read_in_its_own_query(world, django_assert_num_queries):
    """Tags sorted, live attachments by device (a detached one left out), and whether a port exists: what a
    list used to read in three more queries, the same in a list and alone; NULL where there are none."""
    import orjson

    from compute_platform.compute.models import InstanceTag
    from compute_platform.compute.selectors_server_extras import instance_tags
    from compute_platform.network.models import Network, Port
    from compute_platform.volumes.models import Export, Volume, VolumeAttachment
    from compute_platform.volumes.models.attachments import AttachmentStatus

    host = world.host("node1")
    inst, bare = world.instance(host=host, name="a"), world.instance(host=host, name="b")
    for tag in ("zeta", "alpha", "mid"):
        InstanceTag.objects.create(instance=inst, tag=tag)
    export = Export.objects.create(name="e", share="/srv/e", fstype="bind")
    vols = [Volume.objects.create(project=world.project, user=world.user, export=export, size=1) for _ in range(3)]
    for vol, device, status, dot in ((vols[0], "vdc", AttachmentStatus.ATTACHED, False),
                                     (vols[1], "vda", AttachmentStatus.ATTACHING, True),
                                     (vols[2], "vdb", AttachmentStatus.DETACHED, False)):
        VolumeAttachment.objects.create(volume=vol, instance=inst, host="node1", device=device, status=status,
                                        delete_on_termination=dot)
    net = Network.objects.create(project_id=world.project.pk, name="net")
    Port.objects.create(project_id=world.project.pk, network=net, device_id=str(inst.uuid), mac_address="fa:16:3e:00:00:01")

    with django_assert_num_queries(1):
        row = instance_row(inst)
    assert orjson.loads(row["tags_json"]) == ["alpha", "mid", "zeta"] == instance_tags(instance_ids=[inst.id])[inst.id]
    assert orjson.loads(row["volumes_json"]) == [{"id": str(vols[1].id), "delete_on_termination": True},
                                                 {"id": str(vols[0].id), "delete_on_termination": False}]
    assert row["has_ports"] is True
    empty = instance_row(bare)
    assert (empty["tags_json"], empty["volumes_json"], empty["has_ports"]) == (None, None, False)
    with django_assert_num_queries(1):
        listed = instance_list(context=world.context(), filters={}, limit=10, marker=None)
    assert sorted(listed, key=lambda r: r["name"]) == [row, empty]
