"""`web_search` and `web_page`: the web as an agent reads it, through the SSRF-safe `fetch`.

Each search provider is a small adapter (`_Provider`): how to ask (URL, headers, body) and
where its answer keeps the title, URL and snippet of a result. Every answer becomes the same
numbered list, so the model reads one shape whichever provider a use chose. The key is the
group's, passed in by the run (`RunRequest.tool_keys`), never read from the environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import trafilatura
from pydantic import BaseModel, Field, SecretStr

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, WebPageConfig, WebSearchConfig
from kasal.engine.tools.http import SafeHttpTool
from kasal.engine.tools.outbound import Fetched, Limits

SEARCH_MAX_BYTES = 2_000_000  # a page of results, with room to spare

Request = tuple[str, str, dict[str, str], bytes | None]  # method, URL, headers, body


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    snippet: str


@dataclass(frozen=True)
class _Provider:
    name: str
    endpoint: str  # the public API; `ToolSettings.search_endpoints` may replace it
    ask: Callable[[str, str, int, str], Request]  # endpoint, query, count, key ("" for none)
    results: Callable[[Any], list[Any]]  # the answer's list of results
    fields: tuple[str, str, str]  # where a result keeps its title, URL and snippet


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> Request:
    headers = {**headers, "Content-Type": "application/json"}
    return "POST", url, headers, json.dumps(body).encode()


def _get(url: str, params: dict[str, Any], headers: dict[str, str]) -> Request:
    return "GET", f"{url}?{urlencode(params)}", {**headers, "Accept": "application/json"}, None


PROVIDERS: dict[str, _Provider] = {
    p.name: p
    for p in (
        _Provider(
            "serper",
            "https://google.serper.dev/search",
            lambda url, q, n, key: _post_json(url, {"q": q, "num": n}, {"X-API-KEY": key}),
            lambda answer: answer.get("organic", []),
            ("title", "link", "snippet"),
        ),
        _Provider(
            "tavily",
            "https://api.tavily.com/search",
            lambda url, q, n, key: _post_json(
                url, {"query": q, "max_results": n}, {"Authorization": f"Bearer {key}"}
            ),
            lambda answer: answer.get("results", []),
            ("title", "url", "content"),
        ),
        _Provider(
            "brave",
            "https://api.search.brave.com/res/v1/web/search",
            lambda url, q, n, key: _get(url, {"q": q, "count": n}, {"X-Subscription-Token": key}),
            lambda answer: (answer.get("web") or {}).get("results", []),
            ("title", "url", "description"),
        ),
        _Provider(
            "searxng",
            "",  # the instance's URL comes from the use's configuration
            lambda url, q, n, _: _get(f"{url.rstrip('/')}/search", {"q": q, "format": "json"}, {}),
            lambda answer: answer.get("results", []),
            ("title", "url", "content"),
        ),
    )
}


class WebSearchArgs(BaseModel):
    query: str = Field(description="What to search for, as you would type it into a search box.")


class WebSearchTool(SafeHttpTool):
    name: str = "web_search"
    description: str = CATALOG["web_search"].description
    args_schema: type[BaseModel] = WebSearchArgs
    config: WebSearchConfig = Field(default_factory=WebSearchConfig)
    keys: dict[str, SecretStr] = Field(default_factory=dict, description="The run's tool keys.")

    def _run(self, query: str) -> str:
        if not query.strip():
            raise ToolError("Give a search query.")
        results = self._search(query)
        if not results:
            return f"No results for {query!r}."
        return "\n\n".join(
            f"{n}. {r.title}\n   {r.url}\n   {r.snippet}" for n, r in enumerate(results, 1)
        )

    def _search(self, query: str) -> list[SearchResult]:
        provider = PROVIDERS[self.config.provider]
        key = self.keys.get(provider.name)
        if self.config.keys_needed() and key is None:
            raise ToolError(f"No {provider.name} API key was given to this run.")
        method, url, headers, body = provider.ask(
            self._endpoint(provider),
            query,
            self.config.max_results,
            key.get_secret_value() if key else "",
        )
        answer = self._fetch(
            url,
            Limits(self.config.timeout_s, SEARCH_MAX_BYTES),
            method=method,
            content=body,
            headers=headers,
        )
        _raise_for_status(provider.name, answer)
        try:
            items = provider.results(answer.json())
            return [_result(item, provider.fields) for item in items][: self.config.max_results]
        except (AttributeError, TypeError):
            raise ToolError(f"{provider.name} answered in an unexpected shape.") from None

    def _endpoint(self, provider: _Provider) -> str:
        if provider.name == "searxng":
            return self.config.searxng_url or ""
        return self.settings.search_endpoints.get(provider.name, provider.endpoint)


def _raise_for_status(provider: str, answer: Fetched) -> None:
    if answer.status_code in (401, 403):
        raise ToolError(
            f"{provider} refused the API key (HTTP {answer.status_code}): "
            "check it under Settings > API keys."
        )
    if answer.status_code == 429:
        raise ToolError(f"{provider} says too many requests (HTTP 429): try again later.")
    if not 200 <= answer.status_code < 300:
        raise ToolError(
            f"{provider} answered HTTP {answer.status_code} {answer.reason}: {answer.text()[:300]}"
        )


def _result(item: dict[str, Any], fields: tuple[str, str, str]) -> SearchResult:
    title, url, snippet = (str(item.get(name) or "").strip() for name in fields)
    return SearchResult(title or url, url, " ".join(snippet.split()))


class WebPageArgs(BaseModel):
    url: str = Field(description="Absolute http or https URL of the page.")


class WebPageTool(SafeHttpTool):
    name: str = "web_page"
    description: str = CATALOG["web_page"].description
    args_schema: type[BaseModel] = WebPageArgs
    config: WebPageConfig = Field(default_factory=WebPageConfig)

    def _run(self, url: str) -> str:
        page = self._fetch(
            url,
            Limits(self.config.timeout_s, self.config.max_bytes),
            headers={"Accept": "text/html,application/xhtml+xml,text/plain;q=0.9"},
        )
        if not 200 <= page.status_code < 300:
            raise ToolError(f"{page.url} answered HTTP {page.status_code} {page.reason}.")
        title, content = _main_content(page)
        notes = []
        if page.truncated:
            notes.append(f"[larger than {self.config.max_bytes} bytes: only the start was read]")
        limit = self.config.max_chars
        if len(content) > limit:
            notes.append(f"[cut after {limit} of {len(content)} characters]")
            content = content[:limit]
        head = f"Title: {title or '(none)'}\nURL: {page.url}\n\n"
        return head + content + "".join(f"\n\n{note}" for note in notes)


def _main_content(page: Fetched) -> tuple[str | None, str]:
    """(title, Markdown): for HTML its main content without boilerplate; text stays as is."""
    kind = page.content_type.split(";")[0].strip().lower()
    text = page.text()
    if kind in ("text/plain", "text/markdown"):
        return None, text
    if kind not in ("text/html", "application/xhtml+xml"):
        raise ToolError(f"{page.url} is {kind}, not a web page.")
    metadata = trafilatura.extract_metadata(text)
    content = trafilatura.extract(
        text, url=page.url, output_format="markdown", include_comments=False
    )
    title = metadata.title if metadata is not None else None
    return title, content or "(no main content could be found on this page)"
