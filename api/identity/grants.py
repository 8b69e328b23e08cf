"""Keystone v3 role grants on projects and the role assignment list (admins only, Keystone's defaults):
what Tempest's dynamic credentials and `openstack role add/remove/assignment list` call."""
from rest_framework.response import Response

from compute_platform.identity import selectors as identity
from compute_platform.identity.services.roles import role_grant, role_revoke

from . import schemas
from .resources import IdentityView, _collection, _v3, role_body


class ProjectUserRoleListView(IdentityView):
    admin_policies = {"GET": "identity:list_grants"}

    @schemas.grant_list
    def get(self, request, project_id, user_id):
        roles = identity.project_user_roles(context=self.context, project_id=project_id, user_id=user_id)
        return Response(_collection(request, "roles", [role_body(request, r) for r in roles]))


class ProjectUserRoleView(IdentityView):
    admin_policies = {"PUT": "identity:create_grant", "DELETE": "identity:revoke_grant",
                      "GET": "identity:check_grant", "HEAD": "identity:check_grant"}

    def _subjects(self, project_id, user_id):
        return (identity.project_get(context=self.context, project_id=project_id),
                identity.user_get(context=self.context, user_id=user_id))

    @schemas.grant_create
    def put(self, request, project_id, user_id, role_id):
        project, user = self._subjects(project_id, user_id)
        role_grant(user=user, project=project, role=role_id)
        return Response(status=204)

    @schemas.grant_check
    def get(self, request, project_id, user_id, role_id):
        identity.project_user_role_check(context=self.context, project_id=project_id, user_id=user_id,
                                         role_id=role_id)
        return Response(status=204)

    @schemas.grant_revoke
    def delete(self, request, project_id, user_id, role_id):
        project, user = self._subjects(project_id, user_id)
        role_revoke(user=user, project=project, role=role_id)
        return Response(status=204)


def assignment_body(request, row: tuple, include_names: bool) -> dict:
    role, user_id, user_name, project_id, project_name = row
    body = {"role": {"id": role}, "user": {"id": user_id}, "scope": {"project": {"id": project_id}},
            "links": {"assignment": f"{_v3(request)}/projects/{project_id}/users/{user_id}/roles/{role}"}}
    if include_names:
        domain = {"id": "default", "name": "Default"}
        body["role"]["name"] = role
        body["user"].update(name=user_name, domain=domain)
        body["scope"]["project"].update(name=project_name, domain=domain)
    return body


class RoleAssignmentListView(IdentityView):
    admin_policies = {"GET": "identity:list_role_assignments"}

    @schemas.role_assignment_list
    def get(self, request):
        q = request.query_params
        rows = identity.role_assignment_list(
            context=self.context, user_id=q.get("user.id"), project_id=q.get("scope.project.id"),
            role=q.get("role.id"), effective="effective" in q)
        # Keystone: a bare `?include_names` counts as true, as `?effective` does.
        names = "include_names" in q and q["include_names"].lower() not in ("0", "false", "no", "off")
        return Response(_collection(request, "role_assignments", [assignment_body(request, row, names)
                                                                  for row in rows]))
