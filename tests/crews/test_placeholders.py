"""`{single}` and `{{double}}` placeholders: the inputs the API asks for are the run's.

CrewAI interpolates `{name}` wherever it appears, also inside `{{name}}` (it has no
escape), so both ask for an input and the double one reaches the model as `{value}`.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.executions.support import create_crew, start, use_scripted_model, wait_for
from tests.factories import make_actor
from tests.support.llm_server import ScriptedLLMServer, text
from tests.support.server import LiveServer


def _crew(model: str) -> dict[str, object]:
    return {
        "name": "Braces",
        "agents": [
            {"key": "writer", "role": "Writer", "goal": "Write about {single}", "llm": model}
        ],
        "tasks": [
            {
                "key": "write",
                "name": "Write",
                "description": "Write about {single} in the {{double}} style.",
                "expected_output": "A line",
                "agent": "writer",
            }
        ],
    }


async def test_double_and_single_braces_are_inputs_and_the_run_gets_them(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, _crew(model))
        crew = (await http.get(f"/api/v1/crews/{crew_id}", headers=actor.headers)).json()
        assert crew["inputs"] == ["single", "double"]

        refused = await http.post(
            "/api/v1/executions",
            json={"crew_id": crew_id, "inputs": {"single": "tides"}},
            headers=actor.headers,
        )
        assert refused.status_code == 422  # refused before it starts, not failed after
        assert [d["pointer"] for d in refused.json()["error"]["details"]] == ["/inputs/double"]

        llm_server.script(text("Thought: done\nFinal Answer: Tides, plainly."))
        execution = await start(http, actor, crew_id, {"single": "tides", "double": "plain"})
        done = await wait_for(http, actor, execution["id"])

    assert done["status"] == "succeeded", done["error"]
    prompt = llm_server.chat_requests[-1].prompt
    assert "Write about tides in the {plain} style." in prompt
