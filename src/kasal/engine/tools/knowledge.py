"""`knowledge_search`: an agent's questions to the knowledge bases it was given.

An agent gets this tool when it or its crew lists knowledge bases (`knowledge: [ids]`); it
is not picked from the tool catalog, so the bases an agent searches are named in one place.
Each search is reported on crewai's event bus as a `KnowledgeRetrievedEvent` (the capture
turns it into a `knowledge.retrieved` event with the query and every hit's file, page or
section and score), so a user sees which document an answer came from.
"""

from __future__ import annotations

from crewai.events import crewai_event_bus
from crewai.events.base_events import BaseEvent
from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.embeddings import EmbeddingError
from kasal.engine.errors import InvalidSpec
from kasal.engine.knowledge import KnowledgeHit, search
from kasal.engine.spec import KnowledgeBaseConfig
from kasal.engine.tools.base import ToolError

TOOL_NAME = "knowledge_search"
DEFAULT_K = 5
MAX_K = 20


class KnowledgeRetrievedEvent(BaseEvent):
    """One search of an agent's knowledge bases and what it found."""

    type: str = "kasal_knowledge_retrieved"
    agent_key: str
    query: str
    bases: list[str]
    hits: list[dict[str, object]]


class KnowledgeSearchArgs(BaseModel):
    query: str = Field(description="What to look up, as a question or keywords.")
    k: int = Field(DEFAULT_K, ge=1, le=MAX_K, description="How many passages to read.")


class KnowledgeSearchTool(BaseTool):
    name: str = TOOL_NAME
    description: str = ""
    args_schema: type[BaseModel] = KnowledgeSearchArgs
    bases: list[KnowledgeBaseConfig]
    agent_key: str

    def _run(self, query: str, k: int = DEFAULT_K) -> str:
        if not query.strip():
            raise ToolError("Give a query: what to look up in the knowledge bases.")
        try:
            hits = search(self.bases, query, k)
        except (EmbeddingError, InvalidSpec) as exc:
            raise ToolError(f"The knowledge bases cannot be searched now: {exc}") from None
        crewai_event_bus.emit(
            self,
            KnowledgeRetrievedEvent(
                agent_key=self.agent_key,
                query=query,
                bases=[base.name for base in self.bases],
                hits=[hit.summary() for hit in hits],
            ),
        )
        return _answer(hits)


def knowledge_tool(bases: list[KnowledgeBaseConfig], agent_key: str) -> KnowledgeSearchTool:
    names = ", ".join(repr(base.name) for base in bases)
    return KnowledgeSearchTool(
        description=(
            f"Search the knowledge bases {names} (documents the team uploaded) for passages "
            "about a question. Each passage comes with its source (file, page or section): "
            "cite it in your answer."
        ),
        bases=bases,
        agent_key=agent_key,
    )


def _answer(hits: list[KnowledgeHit]) -> str:
    if not hits:
        return "Nothing in the knowledge bases matches this query."
    return "\n\n".join(
        f"[{number}] {hit.where()} (score {hit.score:.2f})\n{hit.text}"
        for number, hit in enumerate(hits, start=1)
    )
