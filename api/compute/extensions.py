"""/extensions: the fixed list Nova 2.1 returns (extensions.json, copied from Nova's extension_info.py);
every caller may read it."""
import json
from pathlib import Path

from drf_spectacular.utils import extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute.exceptions import NotFound

from ..common.schemas import UNSCOPED, doc_serializer, nova_errors
from ..common.views import OpenStackView
from . import schemas

EXTENSIONS = json.loads((Path(__file__).parent / "extensions.json").read_text())
BY_ALIAS = {e["alias"]: e for e in EXTENSIONS}


class Extension(fields.Serializer):
    alias = fields.CharField()
    description = fields.CharField()
    links = fields.ListField(child=fields.DictField())
    name = fields.CharField()
    namespace = fields.CharField()
    updated = fields.CharField()


ExtensionList = doc_serializer("ExtensionList", {"extensions": Extension(many=True)})
ExtensionShow = doc_serializer("ExtensionShow", {"extension": Extension()})


class ExtensionListView(OpenStackView):
    @extend_schema(operation_id="compute_extensions_list", summary="List the API extensions (Nova's fixed list)",
                   tags=schemas.TAGS, responses={200: ExtensionList, **nova_errors({403: UNSCOPED})})
    def get(self, request):
        return Response({"extensions": EXTENSIONS})


class ExtensionView(OpenStackView):
    @extend_schema(operation_id="compute_extension_show", summary="Show an API extension by alias",
                   tags=schemas.TAGS, responses={200: ExtensionShow, **nova_errors({403: UNSCOPED,
                                                                                    404: "No such alias."})})
    def get(self, request, alias):
        if alias not in BY_ALIAS:
            raise NotFound("The resource could not be found.")
        return Response({"extension": BY_ALIAS[alias]})
