"""SQL for triggers."""

from __future__ import annotations

from kasal.core.repository import GroupScopedRepository, Repository
from kasal.triggers.models import Trigger


class TriggerRepository(GroupScopedRepository[Trigger]):
    model = Trigger


class FiringRepository(Repository[Trigger]):
    """A fire names a trigger, not a group: its secret, not a membership, authenticates it."""

    model = Trigger
