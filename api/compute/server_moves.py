"""The move actions of POST /servers/{id}/action: resize, confirmResize, revertResize, migrate, os-migrateLive,
evacuate. server_actions.py dispatches here by body key; each handler validates, calls one service, answers.
Default policies are Nova's: resize and its confirm/revert for the server's project; migrate, live migrate and
evacuate for admins."""
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, Forbidden, NotFound
from compute_platform.compute.services.instance_moves import (instance_evacuate, instance_live_migrate,
                                                              instance_migrate, instance_resize,
                                                              instance_resize_confirm, instance_resize_revert)

from ..common.microversions import version_at_least


class Resize(serializers.Serializer):
    flavorRef = serializers.CharField(max_length=255)  # OS-DCF:diskConfig is accepted and ignored, as on flat disks


class Migrate(serializers.Serializer):
    host = serializers.CharField(max_length=255, required=False, allow_null=True)


class MigrateLive(serializers.Serializer):
    host = serializers.CharField(max_length=255, required=False, allow_null=True)
    block_migration = serializers.JSONField(required=False, default="auto")
    force = serializers.BooleanField(required=False, default=False)
    disk_over_commit = serializers.JSONField(required=False)  # accepted before 2.25, ignored (as Nova since)

    def validate_block_migration(self, value):
        if value == "auto" or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise serializers.ValidationError("block_migration must be a boolean or 'auto'")


class Evacuate(serializers.Serializer):
    host = serializers.CharField(max_length=255, required=False, allow_null=True)
    adminPass = serializers.CharField(max_length=255, required=False, allow_null=True)
    onSharedStorage = serializers.BooleanField(required=False)  # before 2.14; our disks are never shared
    force = serializers.BooleanField(required=False, default=False)


def _valid(serializer_class, value):
    data = serializer_class(data=value if isinstance(value, dict) else {})
    data.is_valid(raise_exception=True)
    return data.validated_data


def _admin(view, policy: str) -> None:
    if not view.context.is_admin:
        raise Forbidden(f"Policy doesn't allow {policy} to be performed.")


def resize(view, request, instance, value):
    if not isinstance(value, dict):
        raise BadRequest("Invalid input for field/attribute resize: an object with flavorRef is required.")
    v = _valid(Resize, value)
    try:
        flavor = selectors.flavor_get(flavorid=v["flavorRef"])
    except NotFound as exc:  # Nova: a bad flavorRef is a bad request
        raise BadRequest(f"Invalid flavorRef provided: {exc.message}") from exc
    instance_resize(context=view.context, instance=instance, flavor=flavor)
    return Response(status=202)


def confirm_resize(view, request, instance, value):
    instance_resize_confirm(context=view.context, instance=instance)
    return Response(status=204)


def revert_resize(view, request, instance, value):
    instance_resize_revert(context=view.context, instance=instance)
    return Response(status=202)


def migrate(view, request, instance, value):
    _admin(view, "os_compute_api:os-migrate-server:migrate")
    v = _valid(Migrate, value)
    host = v.get("host") if version_at_least(request, "2.56") else None
    instance_migrate(context=view.context, instance=instance, host_name=host)
    return Response(status=202)


def migrate_live(view, request, instance, value):
    _admin(view, "os_compute_api:os-migrate-server:migrate_live")
    v = _valid(MigrateLive, value)
    # `force` skipped the host check from 2.30 until 2.68 removed it.
    force = v["force"] and version_at_least(request, "2.30") and not version_at_least(request, "2.68")
    block = None if v["block_migration"] == "auto" else v["block_migration"]
    instance_live_migrate(context=view.context, instance=instance, host_name=v.get("host"), block_migration=block,
                          force=force)
    return Response(status=202)


def evacuate(view, request, instance, value):
    _admin(view, "os_compute_api:os-evacuate")
    v = _valid(Evacuate, value)
    force = v["force"] and version_at_least(request, "2.29") and not version_at_least(request, "2.68")
    instance_evacuate(context=view.context, instance=instance, host_name=v.get("host"), force=force)
    if version_at_least(request, "2.14"):
        return Response(status=200)
    # Before 2.14 Nova answers the admin password of the rebuilt guest; ours keeps the one injected at boot.
    return Response({"adminPass": v.get("adminPass")}, status=200)


MOVE_ACTIONS = {"resize": resize, "confirmResize": confirm_resize, "revertResize": revert_resize,
                "migrate": migrate, "os-migrateLive": migrate_live, "evacuate": evacuate}
