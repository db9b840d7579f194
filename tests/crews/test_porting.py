"""Export and import formats, in memory: round trips, CrewAI's YAML, errors with lines, junk."""

from __future__ import annotations

import io
import json
import random
import textwrap
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from kasal.core.errors import KasalError
from kasal.crews import porting
from kasal.crews.porting import MAX_IMPORT_BYTES, ImportInvalid, ImportTooLarge
from kasal.crews.schemas import CrewBody
from kasal.crews.service import model_resolver
from tests.factories import crew_document


@dataclass(frozen=True)
class Model:
    provider: str
    model: str
    kind: str = "chat"
    enabled: bool = True
    has_key: bool = True


RESOLVE = model_resolver(
    {
        "demo": Model("demo", "demo"),
        "gpt-4o": Model("openai", "gpt-4o"),
        "claude": Model("anthropic", "claude-sonnet-4"),
    }
)


def rich_body() -> CrewBody:
    """Every field away from its default, and text that is hard to write in YAML."""
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    return CrewBody.model_validate(
        crew_document(
            "Ünïcode: crew #1",
            description="Line one\nline two: with colon\n",
            process="hierarchical",
            manager_llm="gpt-4o",
            planning=True,
            memory=True,
            embedder="embed",
            max_rpm=30,
            verbose=True,
            agents=[
                {
                    "key": "a-1",
                    "role": "yes",
                    "goal": "null",
                    "backstory": "  leading spaces and 'quotes' and \"double\" {topic}\n\n",
                    "llm": "demo",
                    "tools": [
                        {"tool_id": "http_request", "config": {"allowed_hosts": ["x.org"]}},
                        {"tool_id": "current_datetime"},
                    ],
                    "allow_delegation": True,
                    "max_iter": 3,
                    "max_rpm": 10,
                    "max_execution_time": 60,
                    "reasoning": True,
                    "verbose": True,
                },
                {
                    "key": "B_2",
                    "role": "123",
                    "goal": "- a list? no",
                    "llm": None,
                    "tools": [
                        {"tool_id": "http_request", "config": {"allowed_hosts": ["a.b"]}},
                        {"tool_id": "http_request", "config": {}},
                    ],
                },
            ],
            tasks=[
                {
                    "key": "t1",
                    "name": "",
                    "description": "Do {topic}\n  indented\n",
                    "expected_output": "{{escaped}}",
                    "agent": "a-1",
                    "tools": [{"tool_id": "file_read", "config": {"max_bytes": 10}}],
                    "async_execution": True,
                    "output_format": "json",
                    "output_schema": schema,
                    "markdown": True,
                    "human_input": True,
                },
                {
                    "key": "t2",
                    "name": "Second: task",
                    "description": "#not a comment",
                    "expected_output": "~",
                    "agent": None,
                    "context": ["t1", "missing-is-fine-in-json"],
                },
            ],
            layout={
                "nodes": {"a-1": {"x": 1.5, "y": -2}, "t2": {"x": 0, "y": 1e6}},
                "viewport": {"x": 10, "y": 20, "zoom": 0.75},
            },
        )
    )


def without_dangling_context(body: CrewBody) -> CrewBody:
    tasks = [t.model_copy(update={"context": ["t1"]}) if t.key == "t2" else t for t in body.tasks]
    return body.model_copy(update={"tasks": tasks})


def test_yaml_export_then_import_gives_the_same_crew() -> None:
    body = without_dangling_context(rich_body())
    text = porting.export_yaml(body)
    assert porting.import_file("crew.yaml", text.encode(), RESOLVE).body == body


def test_zip_export_then_import_gives_the_same_crew() -> None:
    body = without_dangling_context(rich_body())
    data = porting.export_zip(body)
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == [
        "agents.yaml",
        "crew.yaml",
        "tasks.yaml",
    ]
    assert porting.import_file("crew.zip", data, RESOLVE).body == body


def test_json_export_then_import_gives_the_same_crew() -> None:
    body = without_dangling_context(rich_body())
    text = porting.export_json(body)
    exported = json.loads(text)
    assert "id" not in exported
    assert "version" not in exported
    assert exported["inputs"] == ["topic", "escaped"]  # CrewAI has no escape
    assert porting.import_file("crew.json", text.encode(), RESOLVE).body == body


def test_the_yaml_export_is_what_a_crewai_project_reads() -> None:
    body = without_dangling_context(rich_body())
    files = porting.yaml_files(body)
    agents = yaml.safe_load(files["agents.yaml"])
    tasks = yaml.safe_load(files["tasks.yaml"])
    assert list(agents) == ["a-1", "B_2"]
    first = agents["a-1"]
    assert first["role"] == "yes"  # a string, quoted so YAML does not read a boolean
    assert first["tools"] == ["http_request", "current_datetime"]
    assert first["tool_config"] == {"http_request": {"allowed_hosts": ["x.org"]}}
    assert agents["B_2"]["tools"][0] == {
        "tool_id": "http_request",
        "config": {"allowed_hosts": ["a.b"]},
    }
    assert tasks["t1"]["agent"] == "a-1"
    assert tasks["t2"]["context"] == ["t1"]
    assert "agent" not in tasks["t2"]
    assert "name" not in tasks["t1"]  # defaults are left out
    crew = yaml.safe_load(files["crew.yaml"])
    assert crew["process"] == "hierarchical"
    assert crew["layout"]["viewport"]["zoom"] == 0.75


def test_multi_document_yaml_marks_each_file() -> None:
    text = porting.export_yaml(CrewBody.model_validate(crew_document("Marked")))
    documents = text.split("\n---\n")
    assert [d.splitlines()[-0 if i else 1] for i, d in enumerate(documents)] == [
        "# file: crew.yaml",
        "# file: agents.yaml",
        "# file: tasks.yaml",
    ]


AGENTS_YAML = """\
# src/latest_ai_development/config/agents.yaml
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
  llm: anthropic/some-future-model
"""

TASKS_YAML = """\
research_task:
  description: >
    Conduct a thorough research about {topic}
    Make sure you find any interesting and relevant information given
    the current year is 2025.
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


def _zip(files: Mapping[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _check_crewai_pair(body: CrewBody, name: str) -> None:
    assert body.name == name
    assert [a.key for a in body.agents] == ["researcher", "reporting_analyst"]
    researcher, analyst = body.agents
    assert researcher.role == "{topic} Senior Data Researcher\n"
    assert researcher.llm == "gpt-4o"  # mapped to the catalog's key
    assert analyst.llm == "anthropic/some-future-model"  # kept; validation will warn
    research, report = body.tasks
    assert research.agent == "researcher"
    assert research.name == ""
    assert report.context == ["research_task"]
    assert report.markdown is True


def test_a_hand_written_crewai_project_zip_imports() -> None:
    data = _zip(
        {
            "latest_ai_development/src/latest_ai_development/config/agents.yaml": AGENTS_YAML,
            "latest_ai_development/src/latest_ai_development/config/tasks.yaml": TASKS_YAML,
            "latest_ai_development/src/latest_ai_development/crew.py": "# python",
            "latest_ai_development/pyproject.toml": "[project]",
        }
    )
    body = porting.import_file("latest_ai_development.zip", data, RESOLVE).body
    _check_crewai_pair(body, "latest ai development")


def test_a_hand_written_pair_in_one_yaml_file_imports_without_markers() -> None:
    text = AGENTS_YAML + "---\n" + TASKS_YAML
    body = porting.import_file("research.yml", text.encode(), RESOLVE).body
    _check_crewai_pair(body, "research")


def _details(exc: pytest.ExceptionInfo[ImportInvalid]) -> list[tuple[str, int | None]]:
    return [(d["file"], d["line"]) for d in exc.value.details]


def test_import_reports_every_problem_with_file_and_line() -> None:
    agents = textwrap.dedent(
        """\
        researcher:
          role: Researcher
          goal: Find things
          max_iter: many
          favourite_colour: blue
        bad key!:
          role: x
        """
    )
    tasks = textwrap.dedent(
        """\
        research:
          description: Research
          expected_output: Facts
          agent: ghost
          output_file: report.md
          context:
            - nowhere
        """
    )
    with pytest.raises(ImportInvalid) as caught:
        porting.import_file("c.zip", _zip({"agents.yaml": agents, "tasks.yaml": tasks}), RESOLVE)
    assert caught.value.code == "import_invalid"
    assert caught.value.status_code == 422
    details = caught.value.details
    by_line = {(d["file"], d["line"]): d["message"] for d in details}
    assert "favourite_colour" in by_line[("agents.yaml", 5)]
    assert "bad key!" in by_line[("agents.yaml", 6)]
    assert "ghost" in by_line[("tasks.yaml", 4)]
    assert "nowhere" in by_line[("tasks.yaml", 7)]
    assert "max_iter" in by_line[("agents.yaml", 4)]
    assert {d["pointer"] for d in details if d["line"] == 4 and d["file"] == "agents.yaml"} == {
        "/agents/0/max_iter"
    }
    assert len(details) == 5  # output_file is a task field: no problem


def test_import_reports_malformed_yaml_with_its_line() -> None:
    text = "# file: agents.yaml\nresearcher:\n  role: [unclosed\n  goal: x\n"
    with pytest.raises(ImportInvalid) as caught:
        porting.import_file("crew.yaml", text.encode(), RESOLVE)
    [(file, line)] = _details(caught)
    assert file == "crew.yaml"
    assert line in (3, 4, 5)
    assert "Not valid YAML" in caught.value.details[0]["message"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("researcher:\n  role: a\n  role: b\n", 3, "Duplicate key"),
        ("researcher:\n  role: &r a\n  goal: *r\n", 3, "aliases"),
        ("researcher:\n  role: !!python/name:os.system x\n", 2, "Unsupported value"),
        ("researcher:\n  role: !custom x\n", 2, "Unsupported value"),
        ("researcher:\n  ? [a, b]\n  : x\n", 2, "plain names"),
        ("researcher: just text\n", 1, "mapping of fields"),
        ("- a\n- b\n", 1, "map each agent"),
        ("researcher:\n  role: 2024-01-01\n", 2, "string"),
    ],
)
def test_import_reports_bad_agents_yaml(text: str, line: int, words: str) -> None:
    files = {"agents.yaml": text, "tasks.yaml": "t:\n  description: d\n  expected_output: e\n"}
    with pytest.raises(ImportInvalid) as caught:
        porting.import_file("c.zip", _zip(files), RESOLVE)
    messages = {(d["file"], d["line"]): d["message"] for d in caught.value.details}
    assert ("agents.yaml", line) in messages, caught.value.details
    assert words in messages[("agents.yaml", line)]


def test_a_missing_tasks_file_and_an_unknown_document_are_reported() -> None:
    with pytest.raises(ImportInvalid) as caught:
        porting.import_file("c.yaml", AGENTS_YAML.encode(), RESOLVE)
    assert caught.value.details[0]["message"] == "tasks.yaml is missing."
    with pytest.raises(ImportInvalid) as caught:
        porting.import_file("c.yaml", b"just: [1, 2]\n---\nplain text\n", RESOLVE)
    assert "Cannot tell" in caught.value.details[0]["message"]


def test_json_problems_carry_pointers() -> None:
    document = crew_document("J", verbose="loud", colour="red")
    document["agents"][0]["max_iter"] = 0
    with pytest.raises(ImportInvalid) as caught:
        porting.import_file("j.json", json.dumps(document).encode(), RESOLVE)
    pointers = {d["pointer"] for d in caught.value.details}
    assert pointers == {"/verbose", "/colour", "/agents/0/max_iter"}
    assert {d["file"] for d in caught.value.details} == {"j.json"}
    with pytest.raises(ImportInvalid) as caught:
        porting.import_file("j.json", b'{\n  "name": "x",\n  oops\n}', RESOLVE)
    assert _details(caught) == [("j.json", 3)]


def test_json_with_unique_keys_violated_is_refused() -> None:
    document = crew_document("Dup")
    document["tasks"][0]["key"] = "researcher"
    with pytest.raises(ImportInvalid) as caught:
        porting.import_document(document, "body", RESOLVE)
    assert "researcher" in caught.value.details[0]["message"]


def test_a_wrong_extension_is_refused() -> None:
    with pytest.raises(KasalError) as caught:
        porting.import_file("crew.exe", b"MZ", RESOLVE)
    assert (caught.value.status_code, caught.value.code) == (422, "import_unsupported")


def test_oversized_files_and_zip_bombs_are_refused() -> None:
    with pytest.raises(ImportTooLarge):
        porting.import_file("big.yaml", b"#" * (MAX_IMPORT_BYTES + 1), RESOLVE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("agents.yaml", b" " * (MAX_IMPORT_BYTES * 4))
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000
    with pytest.raises(ImportTooLarge) as caught:
        porting.import_file("bomb.zip", bomb, RESOLVE)
    assert caught.value.status_code == 413


def test_deep_nesting_and_huge_documents_are_refused_not_crashed() -> None:
    for text in ("[" * 100_000, "a: " + "[" * 50 + "]" * 50, "- 1\n" * 60_000):
        with pytest.raises(ImportInvalid):
            porting.import_file("deep.yaml", text.encode(), RESOLVE)
    with pytest.raises(ImportInvalid):
        porting.import_file("deep.json", b"[" * 100_000, RESOLVE)


@pytest.mark.parametrize("name", ["x.yaml", "x.yml", "x.json", "x.zip"])
def test_junk_bytes_never_escape_as_unexpected_errors(name: str) -> None:
    generator = random.Random(name)
    samples: list[bytes] = [b"", b"\xff\xfe\x00", b"PK\x03\x04" + b"\x00" * 40]
    samples += [generator.randbytes(generator.randint(1, 3000)) for _ in range(40)]
    valid = porting.export_yaml(CrewBody.model_validate(crew_document("Fuzz"))).encode()
    for _ in range(40):  # a valid file with a few bytes flipped
        broken = bytearray(valid)
        for _ in range(generator.randint(1, 5)):
            broken[generator.randrange(len(broken))] = generator.randrange(256)
        samples.append(bytes(broken))
    assert {_outcome(name, data) for data in samples} <= {"imported", 413, 422}


def _outcome(name: str, data: bytes) -> str | int:
    """What an import of `data` comes to: a crew, or an error status (with details)."""
    try:
        porting.import_file(name, data, RESOLVE)
    except KasalError as exc:
        return exc.status_code if exc.details else f"no details: {exc.message}"
    return "imported"


def test_text_fields_survive_any_content() -> None:
    generator = random.Random(7)
    # No NUL: documents refuse it (see test_a_nul_escaped_in_yaml_is_refused_with_its_line).
    alphabet = "ab :#-{}[]'\"\n\r\t\\|>&*!%@`?,~é\u2028\u2029\x85\ufeff"
    for _ in range(300):
        text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 40)))
        document: dict[str, Any] = crew_document("Text", description=text)
        document["agents"][0]["backstory"] = text
        body = CrewBody.model_validate(document)
        exported = porting.export_yaml(body).encode()
        assert porting.import_file("t.yaml", exported, RESOLVE).body == body
