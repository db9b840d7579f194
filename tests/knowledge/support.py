"""Helpers for knowledge tests: bases, uploads, waiting for ingestion, searching."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.knowledge.documents import pdf, word

URL = "/api/v1/knowledge"
SETTLED = {"ready", "failed"}

# A product manual (PDF, one topic per page) and a policy (Word, one topic per section),
# with questions whose answers are known.
MANUAL_PAGES = [
    "Warranty. The Aurora espresso machine comes with a warranty of two years covering the "
    "pump, the boiler and the heating element against defects.",
    "Descaling. Descale the espresso machine every three months with citric acid so that "
    "limescale does not build up in the boiler.",
    "Shipping. Orders ship from our warehouse in Rotterdam and arrive within five working "
    "days anywhere in Europe.",
]
POLICY_SECTIONS = {
    "Refund policy": "Customers may return an unused product within thirty days and get a "
    "full refund of the purchase price.",
    "Support hours": "Our support team answers phone calls and emails from Monday to Friday, "
    "between nine in the morning and five in the afternoon.",
    "Privacy": "We keep customer addresses only to deliver orders and never sell personal "
    "data to advertisers.",
}


def manual() -> bytes:
    return pdf(MANUAL_PAGES)


def policy() -> bytes:
    return word(POLICY_SECTIONS)


async def make_base(
    http: httpx.AsyncClient, headers: dict[str, str], status: int = 201, **body: Any
) -> dict[str, Any]:
    response = await http.post(URL, json={"name": "Product docs", **body}, headers=headers)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def upload(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    base_id: str,
    name: str,
    data: bytes,
    status: int = 201,
) -> dict[str, Any]:
    response = await http.post(
        f"{URL}/{base_id}/files", files={"file": (name, data)}, headers=headers
    )
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def files(http: httpx.AsyncClient, headers: dict[str, str], base_id: str) -> dict[str, Any]:
    response = await http.get(f"{URL}/{base_id}/files", headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


async def settled(
    http: httpx.AsyncClient, headers: dict[str, str], base_id: str, within: float = 90
) -> dict[str, Any]:
    """The base's files, once none is queued or processing any more."""
    async with asyncio.timeout(within):
        while True:
            found = await files(http, headers, base_id)
            if all(item["status"] in SETTLED for item in found.values()):
                return found
            await asyncio.sleep(0.1)


async def search(
    http: httpx.AsyncClient, headers: dict[str, str], base_id: str, query: str, k: int = 3
) -> list[dict[str, Any]]:
    response = await http.post(
        f"{URL}/{base_id}/search", json={"query": query, "k": k}, headers=headers
    )
    assert response.status_code == 200, response.text
    hits: list[dict[str, Any]] = response.json()["hits"]
    return hits
