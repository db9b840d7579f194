"""/api/v1/knowledge: bases, uploads ingested in the background, search, isolation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from kasal.app import create_app
from kasal.core.config import Settings
from kasal.core.context import Role
from kasal.core.db import utcnow
from kasal.engine.vectors import Where
from kasal.knowledge import service
from kasal.knowledge.ingestion import Ingestion
from kasal.knowledge.models import FileStatus, KnowledgeFile
from tests.factories import add_to_group, crew_document, make_actor, make_crew, make_group
from tests.knowledge.support import (
    MANUAL_PAGES,
    URL,
    files,
    make_base,
    manual,
    policy,
    search,
    settled,
    upload,
)
from tests.support.app import make_settings
from tests.support.database import reset_database
from tests.support.llm_server import ScriptedLLMServer


def _store_count(settings: Settings, base: dict[str, object], file_id: str) -> int:
    group_id = uuid.UUID(str(base["group_id"]))
    store = service.store_of(settings.data_dir, group_id, uuid.UUID(str(base["id"])))
    return store.count(Where(sources=[file_id]))


async def _group_of(app: FastAPI, file_id: str) -> uuid.UUID:
    async with app.state.sessionmaker() as session:
        row = await session.get(KnowledgeFile, uuid.UUID(file_id))
        assert row is not None
        return row.group_id


async def test_a_pdf_and_a_word_file_are_ingested_and_answer_questions_with_sources(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    base = await make_base(client, actor.headers)
    assert base["embedding_model"] == "wordllama-l2-256"  # offline: no network, no key
    assert (base["chunk_size"], base["chunk_overlap"]) == (1000, 150)
    queued = await upload(client, actor.headers, base["id"], "manual.pdf", manual())
    assert queued["status"] == "queued"  # the request only stores it
    assert queued["content_type"] == "application/pdf"
    await upload(client, actor.headers, base["id"], "policy.docx", policy())

    found = await settled(client, actor.headers, base["id"])

    assert {name: f["status"] for name, f in found.items()} == {
        "manual.pdf": "ready",
        "policy.docx": "ready",
    }
    assert found["manual.pdf"]["chunks_total"] == found["manual.pdf"]["chunks_done"] == 3
    assert found["policy.docx"]["chunks_total"] == 3
    for question, file_name, page, section in (
        ("How long does the warranty last?", "manual.pdf", 1, None),
        ("How often should I descale the machine?", "manual.pdf", 2, None),
        ("Where do orders ship from?", "manual.pdf", 3, None),
        ("Can I return a product for a refund?", "policy.docx", None, "Refund policy"),
        ("When does the support team answer phone calls?", "policy.docx", None, "Support hours"),
    ):
        best = (await search(client, actor.headers, base["id"], question))[0]
        assert (best["file_name"], best["page"], best["section"]) == (file_name, page, section)
        assert best["file_id"] == found[file_name]["id"]
        assert 0 < best["score"] <= 1
    listed = (await client.get(URL, headers=actor.headers)).json()["items"]
    assert [b["files"] for b in listed] == [{"queued": 0, "processing": 0, "ready": 2, "failed": 0}]


async def test_a_corrupt_file_fails_with_its_reason_and_the_others_are_ingested(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    base = await make_base(client, actor.headers)
    await upload(client, actor.headers, base["id"], "broken.pdf", b"%PDF-1.4 not really a pdf")
    await upload(client, actor.headers, base["id"], "broken.docx", b"PK\x03\x04 no zip")
    await upload(client, actor.headers, base["id"], "blank.txt", b"   \n\n  ")
    await upload(client, actor.headers, base["id"], "notes.md", b"# Notes\n\nThe code is 4711.")

    found = await settled(client, actor.headers, base["id"])

    assert {name: f["status"] for name, f in found.items()} == {
        "broken.pdf": "failed",
        "broken.docx": "failed",
        "blank.txt": "failed",
        "notes.md": "ready",
    }
    assert "not a readable PDF file" in found["broken.pdf"]["error"]
    assert "not a readable DOCX file" in found["broken.docx"]["error"]
    assert "holds no text" in found["blank.txt"]["error"]
    assert found["notes.md"]["error"] is None
    best = (await search(client, actor.headers, base["id"], "What is the code?"))[0]
    assert (best["file_name"], best["section"]) == ("notes.md", "Notes")


async def test_deleting_a_file_removes_its_chunks_and_deleting_a_base_its_folder(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    actor = await make_actor(app, client)
    base = await make_base(client, actor.headers)
    pdf_file = await upload(client, actor.headers, base["id"], "manual.pdf", manual())
    await upload(client, actor.headers, base["id"], "policy.docx", policy())
    await settled(client, actor.headers, base["id"])
    group_id = await _group_of(app, pdf_file["id"])
    base["group_id"] = str(group_id)
    assert _store_count(settings, base, pdf_file["id"]) == len(MANUAL_PAGES)

    url = f"{URL}/{base['id']}/files/{pdf_file['id']}"
    assert (await client.delete(url, headers=actor.headers)).status_code == 204

    assert _store_count(settings, base, pdf_file["id"]) == 0
    hits = await search(client, actor.headers, base["id"], "How long does the warranty last?", 5)
    assert {hit["file_name"] for hit in hits} == {"policy.docx"}
    assert list(await files(client, actor.headers, base["id"])) == ["policy.docx"]
    assert (await client.get(url, headers=actor.headers)).status_code == 404
    folder = service.base_folder(settings.data_dir, group_id, uuid.UUID(base["id"]))
    assert not any((folder / service.ORIGINALS).glob(f"{pdf_file['id']}*"))

    response = await client.delete(f"{URL}/{base['id']}", headers=actor.headers)
    assert response.status_code == 204
    assert not folder.exists()


async def test_another_group_gets_404_on_every_knowledge_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, stranger = await make_actor(app, client), await make_actor(app, client)
    base = await make_base(client, owner.headers)
    file = await upload(client, owner.headers, base["id"], "notes.md", b"# Notes\n\nSecret plan.")
    await settled(client, owner.headers, base["id"])
    base_url, file_url = f"{URL}/{base['id']}", f"{URL}/{base['id']}/files/{file['id']}"

    for method, path, options in (
        ("GET", base_url, {}),
        ("PATCH", base_url, {"json": {"description": "mine now"}}),
        ("DELETE", base_url, {}),
        ("GET", f"{base_url}/files", {}),
        ("POST", f"{base_url}/files", {"files": {"file": ("x.md", b"# x")}}),
        ("GET", file_url, {}),
        ("DELETE", file_url, {}),
        ("POST", f"{base_url}/search", {"json": {"query": "plan"}}),
    ):
        response = await client.request(method, path, headers=stranger.headers, **options)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"].startswith("knowledge_")
    assert (await client.get(URL, headers=stranger.headers)).json()["items"] == []
    assert (await search(client, owner.headers, base["id"], "plan"))[0]["file_name"] == "notes.md"


async def test_viewers_read_and_search_editors_change(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    viewer, editor = await make_actor(app, client), await make_actor(app, client)
    await add_to_group(app, team, viewer.user, Role.viewer)
    await add_to_group(app, team, editor.user, Role.editor)
    base = await make_base(client, editor.in_group(team))
    file = await upload(client, editor.in_group(team), base["id"], "a.txt", b"Tides are tall.")
    await settled(client, editor.in_group(team), base["id"])
    base_url = f"{URL}/{base['id']}"

    assert (await client.get(base_url, headers=viewer.in_group(team))).status_code == 200
    hits = await search(client, viewer.in_group(team), base["id"], "tides")
    assert hits[0]["file_name"] == "a.txt"
    for method, path, options in (
        ("POST", URL, {"json": {"name": "Other"}}),
        ("PATCH", base_url, {"json": {"name": "Renamed"}}),
        ("DELETE", base_url, {}),
        ("POST", f"{base_url}/files", {"files": {"file": ("b.txt", b"more")}}),
        ("DELETE", f"{base_url}/files/{file['id']}", {}),
    ):
        response = await client.request(method, path, headers=viewer.in_group(team), **options)
        assert response.status_code == 403, (method, path)


async def test_bad_input_is_refused_with_the_one_error_shape(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    base = await make_base(client, actor.headers)
    for name, data, code in (
        ("slides.pptx", b"data", "unsupported_file_type"),
        ("empty.md", b"", "empty_file"),
    ):
        body = await upload(client, actor.headers, base["id"], name, data, status=422)
        assert body["error"]["code"] == code
        assert ".pdf" in body["error"]["message"] or code == "empty_file"
    assert (await make_base(client, actor.headers, status=409))["error"]["code"] == (
        "knowledge_base_name_taken"
    )
    chat = await make_base(client, actor.headers, status=422, name="B", embedding_model="demo")
    assert chat["error"]["code"] == "invalid_embedding_model"
    overlap = await make_base(client, actor.headers, status=422, name="C", chunk_overlap=600)
    assert overlap["error"]["code"] == "validation_error"
    response = await client.post(
        f"{URL}/{base['id']}/search", json={"query": "", "k": 0}, headers=actor.headers
    )
    assert response.status_code == 422
    response = await client.get(f"{URL}/not-an-id", headers=actor.headers)
    assert response.status_code == 422
    renamed = await client.patch(
        f"{URL}/{base['id']}", json={"name": "Manuals", "description": "d"}, headers=actor.headers
    )
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Manuals", "d")
    fixed = await client.patch(
        f"{URL}/{base['id']}", json={"embedding_model": "other"}, headers=actor.headers
    )
    assert fixed.status_code == 422  # fixed when the base is made


async def test_a_base_on_an_openai_style_model_embeds_over_http(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = {
        "key": "scripted-embed",
        "provider": "openai",
        "model": "text-embedding-3-small",
        "kind": "embedding",
        "base_url": llm_server.base_url,
    }
    assert (await client.post("/api/v1/models", json=model, headers=actor.headers)).is_success
    key = {"name": "openai", "provider": "openai", "value": "sk-test-key"}
    assert (await client.post("/api/v1/api-keys", json=key, headers=actor.headers)).is_success
    base = await make_base(client, actor.headers, embedding_model="scripted-embed")
    await upload(client, actor.headers, base["id"], "manual.pdf", manual())
    assert (await settled(client, actor.headers, base["id"]))["manual.pdf"]["status"] == "ready"

    [batch] = [r.body["input"] for r in llm_server.requests if r.path.endswith("/embeddings")]
    assert len(batch) == len(MANUAL_PAGES)  # the three pages, in one request

    # The scripted server's vectors are a hash of the text: only the same text is near.
    best = (await search(client, actor.headers, base["id"], batch[1]))[0]

    assert (best["page"], round(best["score"], 3)) == (2, 1.0)
    assert llm_server.requests[-1].body["input"] == [batch[1]]
    assert {r.headers.get("authorization") for r in llm_server.requests} == {"Bearer sk-test-key"}


async def test_a_file_left_processing_by_a_dead_process_is_ingested_again_once(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    actor = await make_actor(app, client)
    base = await make_base(client, actor.headers)
    file = await upload(client, actor.headers, base["id"], "manual.pdf", manual())
    await settled(client, actor.headers, base["id"])
    async with app.state.sessionmaker() as session:  # as a process that died mid-way leaves it
        await session.execute(
            update(KnowledgeFile)
            .where(KnowledgeFile.id == uuid.UUID(file["id"]))
            .values(status=FileStatus.processing, chunks_done=1, lease_expires_at=utcnow())
        )
        await session.commit()

    await Ingestion(settings, app.state.sessionmaker).round()  # what a restart does

    again = (await settled(client, actor.headers, base["id"]))["manual.pdf"]
    assert (again["status"], again["chunks_done"]) == ("ready", 3)
    base["group_id"] = str(await _group_of(app, file["id"]))
    assert _store_count(settings, base, file["id"]) == 3  # started over: no chunk twice


async def test_crews_name_knowledge_bases_and_the_rules_check_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, stranger = await make_actor(app, client), await make_actor(app, client)
    mine = await make_base(client, actor.headers)
    theirs = await make_base(client, stranger.headers)
    document = crew_document(knowledge=[mine["id"]])
    document["agents"][0]["knowledge"] = [theirs["id"], mine["id"]]

    crew = await make_crew(client, actor, document)

    assert crew["knowledge"] == [mine["id"]]
    assert crew["agents"][0]["knowledge"] == [theirs["id"], mine["id"]]
    problems = [(p["pointer"], p["code"]) for p in crew["problems"]]
    knowledge_problems = [pointer for pointer, code in problems if "knowledge" in code]
    assert knowledge_problems == ["/agents/0/knowledge/0"]


@pytest.fixture
async def small_uploads(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(
        make_settings(settings.db_url, settings.data_dir, knowledge_max_upload_mb=1)
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
        await reset_database(application)


async def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    app: FastAPI, small_uploads: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, small_uploads)
    base = await make_base(small_uploads, actor.headers)
    body = await upload(
        small_uploads, actor.headers, base["id"], "big.txt", b"x" * (2 * 1024 * 1024), 413
    )
    assert "error" in body
    await upload(small_uploads, actor.headers, base["id"], "fits.txt", b"x" * (512 * 1024))
    assert list(await files(small_uploads, actor.headers, base["id"])) == ["fits.txt"]
