"""/compute/v2.1/os-keypairs: the caller's key pairs (create or import, list, show, delete).

Microversion 2.2 adds `type` (ssh, x509) and answers create with 201 and delete with 204."""
import dataclasses

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, Forbidden
from compute_platform.identity.selectors import user_get
from compute_platform.compute.services.keypairs import keypair_create, keypair_delete, keypair_get, keypair_list

from ..common.microversions import version_at_least
from ..common.pagination import next_links, page_params
from ..common.schemas import UNSCOPED, nova_errors
from ..common.timefmt import iso_usec
from ..common.views import OpenStackView, body_of

TAGS = ["compute"]


class KeypairCreate(serializers.Serializer):
    name = serializers.CharField(max_length=255, trim_whitespace=False)
    public_key = serializers.CharField(required=False, trim_whitespace=False,
                                       help_text="OpenSSH public key (or PEM certificate for x509) to import; "
                                                 "omit to have an RSA 2048 pair generated.")
    type = serializers.ChoiceField(choices=["ssh", "x509"], required=False, help_text="Microversion 2.2.")


def keypair_body(request, keypair, *, detail: bool = False, private_key: str | None = None) -> dict:
    body = {"name": keypair.name, "public_key": keypair.public_key, "fingerprint": keypair.fingerprint}
    if version_at_least(request, "2.2"):
        body["type"] = keypair.type
    if detail:
        body.update({"user_id": str(keypair.user_id), "id": keypair.id, "created_at": iso_usec(keypair.created_at),
                     "updated_at": iso_usec(keypair.updated_at), "deleted": False, "deleted_at": None})
    if private_key is not None:
        body["private_key"] = private_key
    return body


def acting_context(request, context, user_id):
    """The context to act in: the caller's, or from microversion 2.10 the user named by `user_id` (admins
    only, as Nova's default policy; a non-admin may name only themself)."""
    if user_id is None or not version_at_least(request, "2.10"):
        return context
    if str(user_id) != context.user_key and not context.is_admin:
        raise Forbidden("Policy doesn't allow os_compute_api:os-keypairs to be performed.")
    user = user_get(context=context, user_id=str(user_id))  # 404 for no such user
    return dataclasses.replace(context, user_id=user.pk)


# --- documentation ---------------------------------------------------------------------------------

class Keypair(serializers.Serializer):
    name = serializers.CharField()
    public_key = serializers.CharField()
    fingerprint = serializers.CharField(help_text="ssh: MD5 of the key blob; x509: SHA-1 of the DER form "
                                                  "(colon-separated hex).")
    type = serializers.CharField(required=False, help_text="`ssh` or `x509` (microversion 2.2).")


class KeypairCreated(Keypair):
    user_id = serializers.CharField()
    private_key = serializers.CharField(required=False, help_text="Only when the pair was generated.")


class KeypairDetail(Keypair):
    user_id = serializers.CharField()
    id = serializers.IntegerField()
    created_at = serializers.CharField()
    updated_at = serializers.CharField(allow_null=True)
    deleted = serializers.BooleanField()
    deleted_at = serializers.CharField(allow_null=True)


class KeypairItem(serializers.Serializer):
    keypair = Keypair()


class KeypairList(serializers.Serializer):
    keypairs = KeypairItem(many=True)


class KeypairCreatedResponse(serializers.Serializer):
    keypair = KeypairCreated()


class KeypairResponse(serializers.Serializer):
    keypair = KeypairDetail()


class KeypairCreateRequest(serializers.Serializer):
    keypair = KeypairCreate()


# --- views -----------------------------------------------------------------------------------------

class KeypairListView(OpenStackView):
    @extend_schema(operation_id="compute_keypairs_list", summary="List the caller's key pairs", tags=TAGS,
                   parameters=[OpenApiParameter("limit", int, description="Page size (capped at API_MAX_LIMIT)."),
                               OpenApiParameter("marker", str, description="Name of the last key pair of the "
                                                                           "previous page.")],
                   responses={200: KeypairList, **nova_errors({400: "Bad limit or unknown marker.", 403: UNSCOPED})})
    def get(self, request):
        page = page_params(request)
        context = acting_context(request, self.context, request.query_params.get("user_id"))
        keypairs = keypair_list(context=context, limit=page.limit, marker=page.marker)
        return Response({"keypairs": [{"keypair": keypair_body(request, k)} for k in keypairs],
                         **next_links(request, "keypairs_links", page=page, items=keypairs, marker_of=lambda k: k.name)})

    @extend_schema(operation_id="compute_keypair_create", summary="Create (generate) or import a key pair",
                   tags=TAGS, request=KeypairCreateRequest,
                   description="Answers 200 (201 from microversion 2.2). `private_key` is returned only here, "
                               "and only when the pair was generated.",
                   responses={200: KeypairCreatedResponse, 201: KeypairCreatedResponse,
                              **nova_errors({400: "Invalid name, public key or body.",
                                             403: "Over the key_pairs quota, or " + UNSCOPED,
                                             409: "The caller has a key pair of that name."})})
    def post(self, request):
        data = KeypairCreate(data=body_of(request, "keypair"))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if "type" in v and not version_at_least(request, "2.2"):
            raise BadRequest("Invalid input for field/attribute keypair. Additional properties are not allowed "
                             "('type' was unexpected)")
        user_id = body_of(request, "keypair").get("user_id")
        if user_id is not None and not version_at_least(request, "2.10"):
            raise BadRequest("Invalid input for field/attribute keypair. Additional properties are not allowed "
                             "('user_id' was unexpected)")
        context = acting_context(request, self.context, user_id)
        keypair, private_key = keypair_create(context=context, name=v["name"], public_key=v.get("public_key"),
                                              key_type=v.get("type", "ssh"))
        body = keypair_body(request, keypair, private_key=private_key)
        body["user_id"] = str(keypair.user_id)
        return Response({"keypair": body}, status=201 if version_at_least(request, "2.2") else 200)


class KeypairView(OpenStackView):
    @extend_schema(operation_id="compute_keypair_show", summary="Show a key pair", tags=TAGS,
                   responses={200: KeypairResponse, **nova_errors({403: UNSCOPED, 404: "No such key pair."})})
    def get(self, request, keypair_name):
        context = acting_context(request, self.context, request.query_params.get("user_id"))
        keypair = keypair_get(context=context, name=keypair_name)
        return Response({"keypair": keypair_body(request, keypair, detail=True)})

    @extend_schema(operation_id="compute_keypair_delete", summary="Delete a key pair", tags=TAGS,
                   responses={202: OpenApiResponse(description="Deleted (microversion 2.1). No body."),
                              204: OpenApiResponse(description="Deleted (microversion 2.2). No body."),
                              **nova_errors({403: UNSCOPED, 404: "No such key pair."})})
    def delete(self, request, keypair_name):
        context = acting_context(request, self.context, request.query_params.get("user_id"))
        keypair_delete(context=context, name=keypair_name)
        return Response(status=204 if version_at_least(request, "2.2") else 202)
