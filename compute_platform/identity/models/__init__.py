from .projects import Project
from .roles import RoleAssignment
from .tokens import Token
from .users import UserDeletion

__all__ = ["Project", "RoleAssignment", "Token", "UserDeletion"]
