"""API tests start from the seeded catalog (the `demo` model): tables are emptied between tests.

Tests that do not use the app (validation, import/export formats) stay database-free.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.factories import seed_database


@pytest.fixture(autouse=True)
async def _seeded(request: pytest.FixtureRequest) -> None:
    if "app" in request.fixturenames:
        app: FastAPI = request.getfixturevalue("app")
        await seed_database(app)
