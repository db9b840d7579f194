"""Who is acting, in which group, with which role.

It lives in core, not in auth, because every domain's service takes it and core's
generic CRUD scopes by it: were it in auth, core and every domain would depend on the
package that authenticates, and core would import a domain. Auth builds it (from a
token and a membership); everything else only reads it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class Role(enum.StrEnum):
    """Ordered from least to most: each role may do everything the ones before it may."""

    viewer = "viewer"
    operator = "operator"
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class GroupContext:
    """Who is acting, in which group, with which role. Every tenant query is scoped by it."""

    user_id: uuid.UUID
    group_id: uuid.UUID
    role: Role
