"""Key pairs: public keys only (the private key of a generated pair is never stored)."""
from django.contrib import admin

from ..models import KeyPair


@admin.register(KeyPair)
class KeyPairAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "type", "fingerprint", "created_at")
    list_filter = ("type",)
    list_select_related = ("user",)
    search_fields = ("name", "user__username", "fingerprint")
    fields = ("name", "user", "type", "fingerprint", "public_key", "created_at", "updated_at")
    readonly_fields = fields  # created through the API, which validates and fingerprints the key

    def has_add_permission(self, request):
        return False
