"""Who a credential is and which role a user has in a group, remembered between requests.

Every request used to read its user, and its role in the group, from the database: two round
trips before the route ran. This cache keeps them in the process, and forgets an entry the
moment the database says otherwise:

- The sessions of an API process carry the cache (`session_info`); a listener on every
  ORM session notes, at flush, each user, membership, personal token or group written or
  deleted (and any bulk UPDATE or DELETE of those tables), and drops them from the cache
  when the transaction commits. No service has to remember to invalidate: deactivating a
  user, deleting a token, removing a member or changing a role takes effect on the next
  request.
- A read that raced a change cannot put the old answer back: an entry is only stored if
  nothing was invalidated since the read began (`generation`).
- Across processes (PostgreSQL, `KASAL_QUEUE=procrastinate`), each drop is announced on the
  event bus's `auth` channel and applied by every other API process (`listen`).
- Entries also expire after `ttl_s`: the bound on a change made where no listener hears it
  (a raw SQL edit, the CLI writing to SQLite while a server runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from kasal.auth.models import Group, Membership, PersonalAccessToken, User
from kasal.core.context import Role
from kasal.realtime.bus import EventBus, Message

logger = logging.getLogger(__name__)

SESSION_KEY = "kasal.auth_cache"
_PENDING_KEY = "kasal.auth_cache.pending"
CHANNEL = "auth"
_WATCHED = (User, Membership, PersonalAccessToken, Group)
_USER_COLUMNS = tuple(attr.key for attr in User.__mapper__.column_attrs)
_CACHES: weakref.WeakSet[AuthCache] = weakref.WeakSet()


@dataclass
class Changes:
    """What one transaction wrote that the cache may hold."""

    users: set[uuid.UUID] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)  # personal token hashes
    memberships: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    groups: set[uuid.UUID] = field(default_factory=set)
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.users or self.tokens or self.memberships or self.groups)

    def message(self) -> Message:
        return {
            "kind": "auth",
            "users": [str(u) for u in self.users],
            "tokens": sorted(self.tokens),
            "memberships": [[str(g), str(u)] for g, u in self.memberships],
            "groups": [str(g) for g in self.groups],
            "everything": self.everything,
        }

    @classmethod
    def from_message(cls, message: Message) -> Changes:
        return cls(
            users={uuid.UUID(u) for u in message.get("users", ())},
            tokens=set(message.get("tokens", ())),
            memberships={(uuid.UUID(g), uuid.UUID(u)) for g, u in message.get("memberships", ())},
            groups={uuid.UUID(g) for g in message.get("groups", ())},
            everything=bool(message.get("everything")),
        )


@dataclass(frozen=True)
class TokenEntry:
    """A personal token's owner, its expiry, and when its use was last written down."""

    user_id: uuid.UUID
    expires_at: datetime | None
    touched_at: datetime


class _Entries:
    """A bounded map whose entries expire: the oldest goes first when it is full."""

    def __init__(self, ttl_s: float, size: int) -> None:
        self._ttl_s = ttl_s
        self._size = size
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            del self._items[key]
            return None
        return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        self._items[key] = (time.monotonic() + self._ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def drop(self, keep: Callable[[Hashable], bool]) -> None:
        for key in [k for k in self._items if not keep(k)]:
            del self._items[key]

    def discard(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()


class AuthCache:
    """The caches of one process, each an app's (one in production; tests start several)."""

    def __init__(self, ttl_s: float = 30.0, size: int = 10_000) -> None:
        self.generation = 0
        self._users = _Entries(ttl_s, size)
        self._tokens = _Entries(ttl_s, size)
        self._roles = _Entries(ttl_s, size)
        self.announce: Callable[[Changes], None] | None = None  # to the other processes
        self._origin = uuid.uuid4().hex  # its own announcements come back on a local bus
        _CACHES.add(self)

    @staticmethod
    def of(session: Any) -> AuthCache | None:
        """The cache the session's process keeps, if it keeps one (API processes do)."""
        found = session.info.get(SESSION_KEY)
        return found if isinstance(found, AuthCache) else None

    def session_info(self) -> dict[str, Any]:
        return {SESSION_KEY: self}

    # Users: a column snapshot, turned back into an instance of the asking session

    def user(self, session: Any, user_id: uuid.UUID) -> User | None:
        values = self._users.get(user_id)
        if values is None:
            return None
        present = session.identity_map.get(identity_key(User, user_id))
        if isinstance(present, User):
            return present
        user = User(**values)
        make_transient_to_detached(user)  # as if loaded: no INSERT, no history
        session.add(user)
        return user

    def put_user(self, user: User, since: int) -> None:
        if since == self.generation:
            self._users.put(user.id, {key: getattr(user, key) for key in _USER_COLUMNS})

    # Personal access tokens, by hash

    def token(self, token_hash: str) -> TokenEntry | None:
        found: TokenEntry | None = self._tokens.get(token_hash)
        return found

    def put_token(self, token_hash: str, entry: TokenEntry, since: int) -> None:
        if since == self.generation:
            self._tokens.put(token_hash, entry)

    # Roles, by (group, user); non-members are not remembered

    def role(self, group_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
        found: Role | None = self._roles.get((group_id, user_id))
        return found

    def put_role(self, group_id: uuid.UUID, user_id: uuid.UUID, role: Role, since: int) -> None:
        if since == self.generation:
            self._roles.put((group_id, user_id), role)

    # Forgetting

    def forget(self, changes: Changes) -> None:
        """What a commit changed: forgotten by every cache of this process (tests run several
        apps on one database), and announced to the other processes."""
        for cache in list(_CACHES):
            cache._drop(changes)
        if self.announce is not None:
            self.announce(changes)

    def _drop(self, changes: Changes) -> None:
        self.generation += 1
        if changes.everything:
            self.clear()
        else:
            for user_id in changes.users:
                self._users.discard(user_id)
            for token_hash in changes.tokens:
                self._tokens.discard(token_hash)
            for pair in changes.memberships:
                self._roles.discard(pair)
            if changes.groups:
                self._roles.drop(lambda key: key[0] not in changes.groups)  # type: ignore[index]

    def clear(self) -> None:
        self.generation += 1
        for entries in (self._users, self._tokens, self._roles):
            entries.clear()

    def share(self, bus: EventBus) -> asyncio.Task[None]:
        """Announce this cache's drops to the other processes on `bus`, and apply theirs."""
        self.announce = lambda changes: bus.publish(
            CHANNEL, {**changes.message(), "origin": self._origin}
        )
        return asyncio.create_task(self.listen(bus), name="kasal-auth-cache")

    async def unshare(self, listener: asyncio.Task[None]) -> None:
        self.announce = None
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener

    async def listen(self, bus: EventBus) -> None:
        """Apply what other processes announce on the bus, until cancelled."""
        subscription = bus.subscribe(CHANNEL)
        try:
            while True:
                message = await subscription.get()
                if subscription.overflowed:  # it missed some: forget everything
                    self.clear()
                    subscription = bus.subscribe(CHANNEL)
                    continue
                if message.get("origin") != self._origin:
                    self._drop(Changes.from_message(message))
        finally:
            subscription.close()


# What a transaction wrote, noted at flush and forgotten at commit


def _pending(session: Session) -> Changes | None:
    if not isinstance(session.info.get(SESSION_KEY), AuthCache):
        return None
    pending = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = Changes()
    assert isinstance(pending, Changes)  # noqa: S101 (only this module writes the key)
    return pending


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _: Any) -> None:
    pending = _pending(session)
    if pending is None:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, User):
            pending.users.add(instance.id)
        elif isinstance(instance, PersonalAccessToken):
            pending.tokens.add(instance.token_hash)
        elif isinstance(instance, Membership):
            pending.memberships.add((instance.group_id, instance.user_id))
        elif isinstance(instance, Group) and instance in session.deleted:
            pending.groups.add(instance.id)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, _WATCHED):
        pending = _pending(state.session)
        if pending is not None:
            pending.everything = True


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    cache = session.info.get(SESSION_KEY)
    if isinstance(pending, Changes) and pending and isinstance(cache, AuthCache):
        cache.forget(pending)


@event.listens_for(Session, "after_rollback")
def _discard_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
