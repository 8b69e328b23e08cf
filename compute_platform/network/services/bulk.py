"""Neutron's bulk create: a POST whose body holds a list (`{"networks": [{...}, {...}]}`) makes every item or
none of them."""
from typing import Any, Callable

from django.db import transaction


def network_resources_create_all(*, creates: list[Callable[[], Any]]) -> list:
    """Each create in turn, in one transaction: a failing item (a 4xx) rolls back the items made before it.
    Pushes to hosts wait for the commit (they are on_commit), so a rolled-back bulk pushes nothing."""
    with transaction.atomic():
        return [create() for create in creates]
