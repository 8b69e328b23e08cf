"""The gate every rebuild, snapshot, shelve and rescue task passes first: still claimed under its
task_state, and its action not finished (a redelivery or a redrive of work already done is a no-op)."""
import logging

from compute_platform.compute.models import Instance
from compute_platform.compute.move_rules import MoveRule

from .manager import _action_done

logger = logging.getLogger(__name__)


def still_wanted(instance_uuid: str, rule: MoveRule, request_id: str | None) -> bool:
    current = Instance.objects.filter(uuid=instance_uuid).values_list("task_state", flat=True).first()
    if current != rule.task_state or (request_id and _action_done(request_id)):
        logger.info("%s of %s skipped: task_state is %s (%s)", rule.name, instance_uuid, current, request_id)
        return False
    return True
