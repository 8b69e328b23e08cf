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
