"""web_search and web_page against local servers in the real providers' shapes."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from kasal.engine.spec import AgentSpec, CrewSpec, TaskSpec, ToolRef, ToolSettings
from kasal.engine.tools.addresses import allow_all
from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import (
    CATALOG,
    ToolConfigError,
    WebPageConfig,
    WebSearchConfig,
    parse_config,
)
from kasal.engine.tools.outbound import Limits, fetch
from kasal.engine.tools.web import WebPageTool, WebSearchTool
from kasal.engine.validate import RunFacts, check, errors, required_tool_keys
from tests.support.web_servers import (
    RESULTS,
    LocalServer,
    Recorded,
    html_site,
    search_endpoints,
    search_providers,
    serving,
)

KEY = "search-key-0123456789"
PRIVATE_OK = ToolSettings(http_allow_private=True)


@pytest.fixture(scope="module")
def providers() -> Iterator[LocalServer]:
    with search_providers(KEY) as server:
        yield server


@pytest.fixture(scope="module")
def site() -> Iterator[LocalServer]:
    with html_site() as server:
        yield server


def _search_tool(providers: LocalServer, key: str | None = KEY, **config: object) -> WebSearchTool:
    settings = PRIVATE_OK.model_copy(update={"search_endpoints": search_endpoints(providers)})
    use = WebSearchConfig.model_validate(config)
    keys = {use.provider: SecretStr(key)} if key is not None else {}
    return WebSearchTool(config=use, settings=settings, keys=keys)


@pytest.mark.parametrize(
    ("provider", "key_header", "sent"),
    [
        ("serper", ("x-api-key", KEY), lambda r: r.json() == {"q": "tides", "num": 2}),
        (
            "tavily",
            ("authorization", f"Bearer {KEY}"),
            lambda r: r.json() == {"query": "tides", "max_results": 2},
        ),
        (
            "brave",
            ("x-subscription-token", KEY),
            lambda r: r.query == {"q": ["tides"], "count": ["2"]},
        ),
    ],
)
def test_each_keyed_provider_gets_the_key_and_answers_a_list(
    providers: LocalServer,
    provider: str,
    key_header: tuple[str, str],
    sent: Callable[[Recorded], bool],
) -> None:
    providers.requests.clear()
    answer = _search_tool(providers, provider=provider, max_results=2).run(query="tides")
    (title1, url1, snippet1), (title2, url2, snippet2) = RESULTS[:2]
    assert (
        answer == f"1. {title1}\n   {url1}\n   {snippet1}\n\n2. {title2}\n   {url2}\n   {snippet2}"
    )
    (request,) = providers.requests
    name, value = key_header
    assert request.headers[name] == value
    assert sent(request)


def test_searxng_needs_no_key_and_asks_for_json(providers: LocalServer) -> None:
    providers.requests.clear()
    tool = _search_tool(
        providers, key=None, provider="searxng", searxng_url=f"{providers.url}/searxng/"
    )
    answer = tool.run(query="tides")
    assert answer.count("\n\n") == len(RESULTS) - 1
    assert answer.startswith(f"1. {RESULTS[0][0]}\n   {RESULTS[0][1]}")
    (request,) = providers.requests
    assert request.path == "/searxng/search"
    assert request.query == {"q": ["tides"], "format": ["json"]}


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        ("serper", r"serper refused the API key \(HTTP 403\): check it under Settings > API keys"),
        ("tavily", r"tavily refused the API key \(HTTP 401\)"),
        ("brave", r"brave answered HTTP 422 Unprocessable Entity: .*SUBSCRIPTION_TOKEN_INVALID"),
    ],
)
def test_a_refused_key_is_a_clear_tool_error(
    providers: LocalServer, provider: str, message: str
) -> None:
    with pytest.raises(ToolError, match=message):
        _search_tool(providers, key="wrong-key-000", provider=provider).run(query="tides")


def test_a_provider_that_answers_no_json_or_is_down(providers: LocalServer) -> None:
    broken = _search_tool(
        providers, key=None, provider="searxng", searxng_url=f"{providers.url}/broken"
    )
    with pytest.raises(ToolError, match="is not JSON"):
        broken.run(query="tides")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = _search_tool(
        providers, key=None, provider="searxng", searxng_url=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(ToolError, match=f"The request to http://127.0.0.1:{port}/search"):
        down.run(query="tides")


def test_a_search_without_its_key_or_query_is_refused(providers: LocalServer) -> None:
    with pytest.raises(ToolError, match="No serper API key was given to this run"):
        _search_tool(providers, key=None).run(query="tides")
    with pytest.raises(ToolError, match="Give a search query"):
        _search_tool(providers).run(query="  ")


def test_search_endpoints_are_under_the_address_policy(providers: LocalServer) -> None:
    settings = ToolSettings(search_endpoints=search_endpoints(providers))  # private refused
    tool = WebSearchTool(settings=settings, keys={"serper": SecretStr(KEY)})
    with pytest.raises(ToolError, match="a loopback address"):
        tool.run(query="tides")
    searxng = WebSearchConfig(provider="searxng", searxng_url="http://169.254.169.254/")
    with pytest.raises(ToolError, match="a link-local address"):
        WebSearchTool(config=searxng).run(query="tides")


def test_a_key_does_not_follow_a_redirect_to_another_origin() -> None:
    with serving({"/landing": lambda _: (200, "text/plain", b"here", {})}) as other:
        hop = {"/api": lambda _: (307, "text/plain", b"", {"Location": f"{other.url}/landing"})}
        with serving(hop) as first:
            answer = fetch(
                f"{first.url}/api",
                policy=allow_all,
                limits=Limits(5, 1000),
                headers={"X-API-KEY": KEY},
            )
    assert answer.url == f"{other.url}/landing"
    assert first.requests[0].headers["x-api-key"] == KEY
    assert "x-api-key" not in other.requests[0].headers


def test_web_search_configuration() -> None:
    assert CATALOG["web_search"].credentials == ("serper", "tavily", "brave")
    assert WebSearchConfig(provider="tavily").keys_needed() == {"tavily"}
    assert WebSearchConfig(provider="searxng", searxng_url="http://s").keys_needed() == set()
    with pytest.raises(ToolConfigError, match="the searxng provider needs searxng_url"):
        parse_config("web_search", {"provider": "searxng"})
    with pytest.raises(ToolConfigError, match="provider"):
        parse_config("web_search", {"provider": "bing"})


def _crew(*configs: dict[str, object]) -> CrewSpec:
    tools = [ToolRef(tool_id="web_search", config=c) for c in configs]
    agent = AgentSpec(key="a", role="R", goal="G", llm="m", tools=tools)
    task = TaskSpec(key="t", name="T", description="D", expected_output="E", agent="a")
    return CrewSpec(name="c", agents=[agent], tasks=[task])


def test_a_use_without_its_key_is_a_crew_problem() -> None:
    crew = _crew({"provider": "brave"}, {"provider": "searxng", "searxng_url": "http://s"})
    assert required_tool_keys(crew) == {"brave"}
    (problem,) = errors(check(crew, RunFacts(["m"])))
    assert problem.code == "missing_tool_key"
    assert problem.pointer == "/agents/0/tools/0/config"
    assert "no brave API key: add one under Settings > API keys" in problem.message
    assert errors(check(crew, RunFacts(["m"], tool_keys={"brave"}))) == []
    assert required_tool_keys(_crew({"provider": "nope"})) == set()


def _page_tool(**config: object) -> WebPageTool:
    return WebPageTool(config=WebPageConfig.model_validate(config), settings=PRIVATE_OK)


def test_a_page_becomes_its_main_content_without_boilerplate(site: LocalServer) -> None:
    answer = _page_tool().run(url=f"{site.url}/article")
    head, content = answer.split("\n\n", 1)
    assert head == f"Title: Tides\nURL: {site.url}/article"  # the headline, not the site's name
    assert content.startswith("# Tides\n\nTides are the rise and fall of the sea")
    assert "**spring tides**" in content
    for boilerplate in ("About us", "Shop", "Copyright", "Cookie"):
        assert boilerplate not in answer


def test_a_redirect_gives_the_final_url(site: LocalServer) -> None:
    answer = _page_tool().run(url=f"{site.url}/moved")
    assert answer.startswith(f"Title: Tides\nURL: {site.url}/article\n")


def test_a_long_page_is_cut_by_characters_and_by_bytes(site: LocalServer) -> None:
    by_chars = _page_tool(max_chars=500).run(url=f"{site.url}/long")
    content = by_chars.split("\n\n", 1)[1]
    assert content.endswith("characters]")
    assert "[cut after 500 of" in content
    assert len(content) < 600
    by_bytes = _page_tool(max_bytes=1_000).run(url=f"{site.url}/long")
    assert "[larger than 1000 bytes: only the start was read]" in by_bytes
    assert "Paragraph 299" not in by_bytes


def test_text_pages_stay_as_they_are_and_other_files_are_refused(site: LocalServer) -> None:
    assert _page_tool().run(url=f"{site.url}/notes.txt").endswith("\n\nPlain notes about tides.")
    with pytest.raises(ToolError, match="is image/png, not a web page"):
        _page_tool().run(url=f"{site.url}/logo.png")
    with pytest.raises(ToolError, match="answered HTTP 410 Gone"):
        _page_tool().run(url=f"{site.url}/gone")


def test_web_page_refuses_private_addresses_by_default(site: LocalServer) -> None:
    with pytest.raises(ToolError, match="a loopback address"):
        WebPageTool().run(url=f"{site.url}/article")
