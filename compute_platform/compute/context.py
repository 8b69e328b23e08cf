"""Who is asking: what a validated token says, passed to services and selectors (Nova's RequestContext)."""
from dataclasses import dataclass, field
import uuid


def new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


@dataclass(frozen=True)
class RequestContext:
    user_id: int
    project_id: str
    roles: tuple = ()
    request_id: str = field(default_factory=new_request_id)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def can_write(self) -> bool:
        # Keystone's `reader` alone only reads; `member` (implied by manager and admin) writes.
        return "member" in self.roles or self.is_admin

    @property
    def user_key(self) -> str:
        # Nova reports user ids as strings; ours are Django user primary keys.
        return str(self.user_id)
