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
