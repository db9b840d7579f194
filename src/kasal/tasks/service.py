"""The task library. A crew copies a library task in (with a key of its own); editing
the library later never changes a crew."""

from __future__ import annotations

from kasal.core.crud import GroupScopedCrud
from kasal.tasks.repository import TaskRepository
from kasal.tasks.schemas import TaskRead

_library = GroupScopedCrud(TaskRepository, TaskRead, "task")

list_tasks = _library.list
get = _library.get
create = _library.create
update = _library.update
delete = _library.delete
