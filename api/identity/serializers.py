"""Keystone v3 auth request bodies."""
from rest_framework import serializers


class DomainRef(serializers.Serializer):
    id = serializers.CharField(required=False)
    name = serializers.CharField(required=False)


class UserRef(serializers.Serializer):
    id = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    password = serializers.CharField(trim_whitespace=False)
    domain = DomainRef(required=False)

    def validate(self, attrs):
        if not attrs.get("id") and not attrs.get("name"):
            raise serializers.ValidationError("a user id or name is required")
        return attrs


class PasswordMethod(serializers.Serializer):
    user = UserRef()


class TokenMethod(serializers.Serializer):
    id = serializers.CharField()


class Identity(serializers.Serializer):
    methods = serializers.ListField(child=serializers.ChoiceField(choices=["password", "token"]), min_length=1)
    password = PasswordMethod(required=False)
    token = TokenMethod(required=False)

    def validate(self, attrs):
        for method in attrs["methods"]:
            if method not in attrs:
                raise serializers.ValidationError(f"method '{method}' is listed but its object is missing")
        return attrs


class ProjectScope(serializers.Serializer):
    id = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    domain = DomainRef(required=False)

    def validate(self, attrs):
        if not attrs.get("id") and not attrs.get("name"):
            raise serializers.ValidationError("a project id or name is required")
        return attrs


class Scope(serializers.Serializer):
    project = ProjectScope(required=False)


class Auth(serializers.Serializer):
    identity = Identity()
    scope = Scope(required=False)


class AuthRequest(serializers.Serializer):
    auth = Auth()


# --- Keystone's admin writes (bodies under "project" / "user") -----------------------------------------

class ProjectCreate(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    domain_id = serializers.CharField(required=False, allow_null=True, default=None)
    enabled = serializers.BooleanField(required=False, default=True)
    is_domain = serializers.BooleanField(required=False, default=False)
    parent_id = serializers.CharField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        # One domain, no project hierarchy: Keystone's answer for what it cannot find is 400 here too.
        if attrs.pop("is_domain"):
            raise serializers.ValidationError("projects acting as domains are not supported")
        parent = attrs.pop("parent_id")
        if parent not in (None, attrs["domain_id"] or "default"):
            raise serializers.ValidationError(f"Could not find project: {parent}.")
        return attrs


class ProjectUpdate(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class UserCreate(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    password = serializers.CharField(required=False, allow_null=True, default=None, trim_whitespace=False)
    domain_id = serializers.CharField(required=False, allow_null=True, default=None)
    enabled = serializers.BooleanField(required=False, default=True)
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class UserUpdate(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(required=False, trim_whitespace=False)
    enabled = serializers.BooleanField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
