"""Export and import through the API: downloads, round trips, CrewAI projects, bad files."""

from __future__ import annotations

import io
import json
import random
import zipfile
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from kasal.crews.porting import MAX_IMPORT_BYTES
from tests.factories import Actor, crew_document, make_actor, make_crew, make_group

API = "/api/v1/crews"
# Decided by the server, or only in an import's answer: not part of the crew itself.
SERVER_FIELDS = ("id", "version", "created_at", "updated_at", "notes", "blocking")


def full_document(name: str) -> dict[str, Any]:
    document = crew_document(name, max_rpm=12, verbose=True, planning=True)
    agents: list[dict[str, Any]] = document["agents"]
    tasks: list[dict[str, Any]] = document["tasks"]
    agents[0]["tools"] = [
        {"tool_id": "http_request", "config": {"allowed_hosts": ["example.com"]}},
        {"tool_id": "current_datetime"},
    ]
    agents[0]["max_iter"] = 5
    agents[1]["backstory"] = "Multi\nline\n  text: with {braces} and {{escaped}}\n"
    tasks[1]["output_format"] = "json"
    tasks[1]["output_schema"] = {"type": "object", "properties": {"report": {"type": "string"}}}
    tasks[1]["markdown"] = True
    return document


def same_crew(left: dict[str, Any], right: dict[str, Any]) -> None:
    strip = {k: v for k, v in left.items() if k not in SERVER_FIELDS}
    assert strip == {k: v for k, v in right.items() if k not in SERVER_FIELDS}


async def _upload(
    client: httpx.AsyncClient, actor: Actor, name: str, data: bytes, **headers: str
) -> httpx.Response:
    files = {"file": (name, data, "application/octet-stream")}
    return await client.post(f"{API}/import", files=files, headers={**actor.headers, **headers})


async def _export(
    client: httpx.AsyncClient, actor: Actor, crew_id: object, fmt: str | None
) -> httpx.Response:
    params = {"format": fmt} if fmt else {}
    response = await client.get(f"{API}/{crew_id}/export", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response


async def test_exports_are_downloads_in_three_formats(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, full_document("Research crew"))
    default = await _export(client, actor, crew["id"], None)
    assert default.headers["content-type"].startswith("application/yaml")
    disposition = default.headers["content-disposition"]
    assert disposition == 'attachment; filename="research-crew.yaml"'
    documents = list(yaml.safe_load_all(default.text))
    assert [d["name"] if "name" in d else sorted(d) for d in documents] == [
        "Research crew",
        ["researcher", "writer"],
        ["research", "write"],
    ]
    assert default.text.count("# file: ") == 3
    as_json = await _export(client, actor, crew["id"], "json")
    assert as_json.headers["content-disposition"].endswith('research-crew.json"')
    exported = as_json.json()
    assert not set(SERVER_FIELDS) & set(exported)
    assert exported["agents"] == crew["agents"]
    as_zip = await _export(client, actor, crew["id"], "zip")
    assert as_zip.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(as_zip.content)).namelist()
    assert sorted(names) == ["agents.yaml", "crew.yaml", "tasks.yaml"]


@pytest.mark.parametrize(
    ("fmt", "filename"), [("yaml", "c.yaml"), ("zip", "c.zip"), ("json", "c.json")]
)
async def test_export_then_import_gives_the_same_crew_field_for_field(
    app: FastAPI, client: httpx.AsyncClient, fmt: str, filename: str
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, full_document("Round trip"))
    exported = await _export(client, actor, crew["id"], fmt)
    team = await make_group(client, actor)
    imported = await _upload(
        client, actor, filename, exported.content, **{"X-Kasal-Group": str(team)}
    )
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert body["id"] != crew["id"]
    assert body["version"] == 1
    same_crew(body, crew)
    fetched = await client.get(f"{API}/{body['id']}", headers=actor.in_group(team))
    same_crew(fetched.json(), crew)


async def test_an_import_into_the_same_group_gets_a_free_name(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document("Research"))
    exported = (await _export(client, actor, crew["id"], "yaml")).content
    names = []
    for _ in range(2):
        response = await _upload(client, actor, "research.yaml", exported)
        names.append(response.json()["name"])
    assert names == ["Research (2)", "Research (3)"]


async def test_a_crew_document_imports_as_a_json_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, full_document("Posted"))
    other = await make_actor(app, client)
    imported = await client.post(f"{API}/import", json=crew, headers=other.headers)
    assert imported.status_code == 201, imported.text
    same_crew(imported.json(), crew)


AGENTS_YAML = """\
researcher:
  role: >
    {topic} Senior Data Researcher
  goal: >
    Uncover cutting-edge developments in {topic}
  backstory: >
    You're a seasoned researcher with a knack for uncovering the latest
    developments in {topic}.
  llm: openai/gpt-4o

reporting_analyst:
  role: >
    {topic} Reporting Analyst
  goal: >
    Create detailed reports based on {topic} data analysis and research findings
  backstory: >
    You're a meticulous analyst with a keen eye for detail.
  llm: mystery/model-x
"""

TASKS_YAML = """\
research_task:
  description: >
    Conduct a thorough research about {topic}
  expected_output: >
    A list with 10 bullet points of the most relevant information about {topic}
  agent: researcher

reporting_task:
  description: >
    Review the context you got and expand each topic into a full section for a report.
  expected_output: >
    A fully fledged report with the main topics, each with a full section of information.
  agent: reporting_analyst
  context:
    - research_task
  markdown: true
"""


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


async def test_a_crewai_project_opens_on_the_canvas(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    project = _zip(
        {
            "latest_ai_development/src/latest_ai_development/config/agents.yaml": AGENTS_YAML,
            "latest_ai_development/src/latest_ai_development/config/tasks.yaml": TASKS_YAML,
            "latest_ai_development/src/latest_ai_development/main.py": "# entry point",
        }
    )
    imported = await _upload(client, actor, "latest_ai_development.zip", project)
    assert imported.status_code == 201, imported.text
    crew = imported.json()
    assert crew["name"] == "latest ai development"
    assert [a["llm"] for a in crew["agents"]] == ["gpt-4o", "mystery/model-x"]
    assert crew["inputs"] == ["topic"]
    assert [(e["source"], e["target"], e["kind"]) for e in crew["edges"]] == [
        ("researcher", "research_task", "assignment"),
        ("reporting_analyst", "reporting_task", "assignment"),
        ("research_task", "reporting_task", "context"),
    ]
    codes = {(p["pointer"], p["code"]) for p in crew["problems"]}
    assert ("/agents/1/llm", "unknown_model") in codes  # kept as written, with a warning
    assert ("/agents/0/llm", "missing_api_key") in codes  # gpt-4o, and no OpenAI key yet
    single = await _upload(client, actor, "pair.yml", (AGENTS_YAML + "---\n" + TASKS_YAML).encode())
    assert single.status_code == 201, single.text
    assert single.json()["tasks"] == crew["tasks"]


async def test_import_problems_come_back_with_file_and_line(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    tasks = TASKS_YAML.replace("agent: reporting_analyst", "agent: nobody").replace(
        "markdown: true", "markdown: true\n  output_file: report.md"
    )
    response = await _upload(
        client, actor, "p.zip", _zip({"agents.yaml": AGENTS_YAML, "tasks.yaml": tasks})
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "import_invalid"
    found = {(d["file"], d["line"]) for d in error["details"]}
    assert found == {("tasks.yaml", 13)}  # output_file (line 17) is a task field: no problem
    assert all(set(d) == {"file", "line", "pointer", "message"} for d in error["details"])
    assert (await client.get(API, headers=actor.headers)).json()["items"] == []


@pytest.mark.parametrize("name", ["junk.yaml", "junk.yml", "junk.json", "junk.zip"])
async def test_junk_files_are_refused_in_the_error_shape(
    app: FastAPI, client: httpx.AsyncClient, name: str
) -> None:
    actor = await make_actor(app, client)
    generator = random.Random(name)
    samples = [b"", b"\x00\xff" * 10, b"PK\x03\x04garbage", b"{" * 5000, b"- [" * 3000]
    samples += [generator.randbytes(generator.randint(1, 4000)) for _ in range(8)]
    for data in samples:
        response = await _upload(client, actor, name, data)
        assert response.status_code == 422, (data[:40], response.text)
        error = response.json()["error"]
        assert error["code"] == "import_invalid"
        assert error["details"][0]["file"]


async def test_wrong_types_and_missing_files_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    wrong = await _upload(client, actor, "crew.exe", b"MZ")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "import_unsupported")
    no_file = await client.post(
        f"{API}/import", files={"other": ("a.yaml", b"x")}, headers=actor.headers
    )
    assert no_file.status_code == 422
    as_text = await client.post(
        f"{API}/import", content=b"name: x", headers={**actor.headers, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 422
    broken_json = await client.post(
        f"{API}/import",
        content=b'{"name": ',
        headers={**actor.headers, "Content-Type": "application/json"},
    )
    assert broken_json.status_code == 422
    assert broken_json.json()["error"]["code"] == "import_invalid"
    not_a_document = await client.post(f"{API}/import", json=[1, 2], headers=actor.headers)
    assert not_a_document.status_code == 422
    bad_multipart = await client.post(
        f"{API}/import",
        content=b"--x\r\nnonsense",
        headers={**actor.headers, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert bad_multipart.status_code == 422


async def test_a_raw_yaml_body_imports(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    response = await client.post(
        f"{API}/import",
        content=(AGENTS_YAML + "---\n" + TASKS_YAML).encode(),
        headers={**actor.headers, "Content-Type": "application/yaml"},
    )
    assert response.status_code == 201, response.text
    # Nothing names it (no crew.yaml, file name or crew.py): not the media type's "crew"
    assert response.json()["name"] == "Imported crew"


async def test_oversized_uploads_are_refused_with_413(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    big = b"# padding\n" * (MAX_IMPORT_BYTES // 10 + 10)
    uploaded = await _upload(client, actor, "big.yaml", big)
    assert uploaded.status_code == 413
    assert uploaded.json()["error"]["code"] == "import_too_large"
    raw = await client.post(
        f"{API}/import",
        content=json.dumps({"name": "x", "description": "y" * MAX_IMPORT_BYTES}).encode(),
        headers={**actor.headers, "Content-Type": "application/json"},
    )
    assert raw.status_code == 413
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("agents.yaml", b"#" * (MAX_IMPORT_BYTES * 3))
        archive.writestr("tasks.yaml", b"t: {}")
    bomb = await _upload(client, actor, "bomb.zip", buffer.getvalue())
    assert bomb.status_code == 413
    assert (await client.get(API, headers=actor.headers)).json()["items"] == []


async def test_a_nul_escaped_in_yaml_is_refused_with_its_line(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The HTTP edge cannot see a NUL that only YAML's parser makes (`"\\0"`); PostgreSQL
    would refuse it, so the document's schema does, with file and line like any problem."""
    actor = await make_actor(app, client)
    agents = AGENTS_YAML.replace(
        "role: >\n    {topic} Senior Data Researcher", 'role: "Sen\\0ior Data Researcher"'
    )
    for name, data in (
        ("crew.yaml", (agents + "---\n" + TASKS_YAML).encode()),
        ("p.zip", _zip({"agents.yaml": agents, "tasks.yaml": TASKS_YAML})),
    ):
        response = await _upload(client, actor, name, data)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "import_invalid"
        assert [(d["pointer"], d["line"]) for d in error["details"]] == [("/agents/0/role", 2)]
        assert "NUL" in error["details"][0]["message"]
    assert (await client.get(API, headers=actor.headers)).json()["items"] == []
