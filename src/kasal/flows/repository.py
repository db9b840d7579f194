"""SQL for flows and their versions, scoped to the caller's group."""

from __future__ import annotations

from kasal.core.pagination import PageParams
from kasal.core.versioning import HeadRepository, VersionRepository, name_key
from kasal.flows.models import Flow, FlowVersion


class FlowRepository(HeadRepository[Flow]):
    model = Flow

    async def search(self, params: PageParams, q: str | None) -> tuple[list[Flow], str | None]:
        stmt = self.select()
        if q:
            stmt = stmt.where(Flow.name_key.contains(name_key(q), autoescape=True))
        return await self.page(stmt, params, Flow.updated_at, descending=True)


class FlowVersionRepository(VersionRepository[FlowVersion]):
    model = FlowVersion
    parent = "flow_id"
