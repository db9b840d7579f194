"""The agent library. A crew copies a library agent in (with a key of its own); editing
the library later never changes a crew."""

from __future__ import annotations

from kasal.agents.repository import AgentRepository
from kasal.agents.schemas import AgentRead
from kasal.core.crud import GroupScopedCrud

_library = GroupScopedCrud(AgentRepository, AgentRead, "agent")

list_agents = _library.list
get = _library.get
create = _library.create
update = _library.update
delete = _library.delete
