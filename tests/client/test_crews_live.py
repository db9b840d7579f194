"""The client's crews methods against a real server."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from kasal.client import AsyncKasal, AuthError, ConflictError, Kasal, NotFoundError
from tests.client.support import scripting_account
from tests.factories import crew_document
from tests.support.server import LiveServer


async def test_crews_create_list_find_update_export_import(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    account = await scripting_account(app, client, live)
    async with AsyncKasal(account.url, account.token) as kasal:
        me = await kasal.me()
        assert me.email == account.actor.user.email

        created = await kasal.crews.create(crew_document("Market research"))
        assert created.version == 1
        assert created.inputs == ["topic", "audience"]
        assert [a.key for a in created.agents] == ["researcher", "writer"]

        listed = await kasal.crews.list()
        assert [(c.id, c.name, c.agent_count) for c in listed] == [
            (created.id, "Market research", 2)
        ]
        assert (await kasal.crews.find("market RESEARCH")).id == created.id
        assert (await kasal.crews.find(str(created.id))).name == "Market research"
        with pytest.raises(NotFoundError) as missing:
            await kasal.crews.find("Nope")
        assert missing.value.code == "crew_not_found"

        document = created.document()
        document["description"] = "Changed from a script"
        updated = await kasal.crews.update(created.id, document)
        assert (updated.version, updated.description) == (2, "Changed from a script")
        with pytest.raises(ConflictError):  # based on version 1, but 2 is saved
            await kasal.crews.update(created.id, document, version=1)

        yaml_text = await kasal.crews.export(created.id)
        assert "# file: agents.yaml" in yaml_text
        imported = await kasal.crews.import_yaml(yaml_text)
        assert imported.name == "Market research (2)"  # a taken name gets a number
        assert imported.document()["agents"] == updated.document()["agents"]

        with pytest.raises(ConflictError) as taken:
            await kasal.crews.create(crew_document("Market research"))
        assert taken.value.code == "crew_name_taken"


async def test_a_bad_token_raises_auth_error(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    await scripting_account(app, client, live)
    with Kasal(live.url, "kasal_pat_not-a-real-token") as kasal, pytest.raises(AuthError) as e:
        kasal.crews.list()
    assert e.value.status == 401
