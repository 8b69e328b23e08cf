"""The server actions of moves A (rebuild, createImage, shelve, shelveOffload, unshelve, lock, unlock, rescue,
unrescue, os-resetState): one small handler each, dispatched by ServerActionView through MOVE_ACTIONS.

Policies are Nova's defaults: every one is the project's (member or admin) but shelveOffload and
os-resetState (admin) and lifting an admin's lock (admin: the service's 403)."""
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, Forbidden, NotFound
from compute_platform.compute.services.instance_lock import instance_lock, instance_reset_state, instance_unlock
from compute_platform.compute.services.instance_rebuild import instance_rebuild
from compute_platform.compute.services.instance_rescue import instance_rescue, instance_unrescue
from compute_platform.compute.services.instance_shelve import (instance_shelve, instance_shelve_offload,
                                                               instance_unshelve)
from compute_platform.compute.services.instance_snapshot import instance_create_image
from compute_platform.images.selectors import image_get

from ..common.links import base_url
from ..common.microversions import version_at_least
from . import move_serializers
from .view_builders import ServerViewBuilder


def _valid(serializer_class, value):
    data = serializer_class(data=value if isinstance(value, dict) else {})
    data.is_valid(raise_exception=True)
    return data.validated_data


def _image(view, image_id: str):
    try:
        return image_get(context=view.context, image_id=image_id)
    except NotFound as exc:  # Nova: a bad image reference in an action body is a bad request
        raise BadRequest(f"Image {image_id} could not be found.") from exc


def _admin(view, policy: str) -> None:
    if not view.context.is_admin:
        raise Forbidden(f"Policy doesn't allow {policy} to be performed.")


def rebuild(view, request, instance, value):
    v = _valid(move_serializers.Rebuild, value)
    instance = instance_rebuild(context=view.context, instance=instance, image=_image(view, v["imageRef"]),
                                name=v.get("name"), metadata=v.get("metadata"))
    # As Nova answers: the server as the request left it (the host may already be done with it).
    row = dict(selectors.instance_row(instance), task_state=instance.task_state, vm_state=instance.vm_state)
    server = ServerViewBuilder(request, view.context).rebuilt(row)
    server["adminPass"] = v.get("adminPass") or ""
    return Response({"server": server}, status=202)


def create_image(view, request, instance, value):
    v = _valid(move_serializers.CreateImage, value)
    image = instance_create_image(context=view.context, instance=instance, name=v["name"], metadata=v.get("metadata"))
    if version_at_least(request, "2.45"):
        return Response({"image_id": str(image.id)}, status=202)
    response = Response(status=202)
    response["Location"] = f"{base_url(request)}/image/v2/images/{image.id}"
    return response


def shelve(view, request, instance, value):
    instance_shelve(context=view.context, instance=instance)
    return Response(status=202)


def shelve_offload(view, request, instance, value):
    _admin(view, "os_compute_api:os-shelve:shelve_offload")
    instance_shelve_offload(context=view.context, instance=instance)
    return Response(status=202)


def unshelve(view, request, instance, value):
    if value not in (None, {}):
        raise BadRequest("unshelve takes no arguments at this microversion (availability_zone is 2.77).")
    instance_unshelve(context=view.context, instance=instance)
    return Response(status=202)


def lock(view, request, instance, value):
    v = _valid(move_serializers.Lock, value)
    if "locked_reason" in v and not version_at_least(request, "2.73"):
        raise BadRequest("Invalid input for field/attribute lock: locked_reason needs microversion 2.73.")
    instance_lock(context=view.context, instance=instance, reason=v.get("locked_reason"))
    return Response(status=202)


def unlock(view, request, instance, value):
    instance_unlock(context=view.context, instance=instance)
    return Response(status=202)


def rescue(view, request, instance, value):
    v = _valid(move_serializers.Rescue, value)
    image = _image(view, v["rescue_image_ref"]) if v.get("rescue_image_ref") else None
    admin_pass = instance_rescue(context=view.context, instance=instance, rescue_image=image,
                                 admin_pass=v.get("adminPass"))
    return Response({"adminPass": admin_pass})


def unrescue(view, request, instance, value):
    instance_unrescue(context=view.context, instance=instance)
    return Response(status=202)


def reset_state(view, request, instance, value):
    _admin(view, "os_compute_api:os-admin-actions:reset_state")
    v = _valid(move_serializers.ResetState, value)
    instance_reset_state(context=view.context, instance=instance, state=v["state"])
    return Response(status=202)


MOVE_ACTIONS = {"rebuild": rebuild, "createImage": create_image, "shelve": shelve, "shelveOffload": shelve_offload,
                "unshelve": unshelve, "lock": lock, "unlock": unlock, "rescue": rescue, "unrescue": unrescue,
                "os-resetState": reset_state}
