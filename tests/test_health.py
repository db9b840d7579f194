import httpx


async def test_health_is_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_migration_head(client: httpx.AsyncClient) -> None:
    from kasal.core.migrate import head_revision

    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "migration": head_revision()}


async def test_info_names_the_database_and_auth_mode(
    client: httpx.AsyncClient, db_url: str
) -> None:
    body = (await client.get("/info")).json()
    assert body["database"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert body["auth_mode"] == "local"
    assert body["version"]


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/auth/login" in spec["paths"]
    assert (await client.get("/api/docs")).status_code == 200
