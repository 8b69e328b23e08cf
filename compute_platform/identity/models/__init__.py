from .projects import Project
from .roles import RoleAssignment
from .tokens import Token

__all__ = ["Project", "RoleAssignment", "Token"]
