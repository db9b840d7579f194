"""Where the client finds its server and token."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kasal.client.aio import AsyncKasal, KasalConfigError, normalise_url
from kasal.client.config import config_dir, current_login, forget_login, save_login, saved_login
from tests.client.support import isolate_login


def test_the_login_is_saved_for_the_user_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_login(monkeypatch, tmp_path / "conf")

    path = save_login("http://kasal.example:8000", "kasal_pat_secret")

    assert path == tmp_path / "conf" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {
        "url": "http://kasal.example:8000",
        "token": "kasal_pat_secret",
    }
    assert saved_login().complete
    assert forget_login()
    assert not forget_login()
    assert saved_login().url is None


def test_saving_again_keeps_the_file_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_login(monkeypatch, tmp_path)
    path = save_login("http://a", "one")
    path.chmod(0o644)

    save_login("http://b", "two")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert saved_login().token == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]  # no temporary left


def test_xdg_config_home_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KASAL_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_dir() == tmp_path / "kasal"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_dir() == tmp_path / ".config" / "kasal"


def test_the_environment_overrides_the_saved_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_login(monkeypatch, tmp_path)
    save_login("http://saved:8000", "saved-token")
    monkeypatch.setenv("KASAL_URL", "http://env:9000")

    login = current_login()
    assert (login.url, login.token) == ("http://env:9000", "saved-token")

    monkeypatch.setenv("KASAL_TOKEN", "env-token")
    client = AsyncKasal()
    assert (client.base_url, client.token) == ("http://env:9000", "env-token")


def test_an_unreadable_config_counts_as_no_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_login(monkeypatch, tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    assert saved_login().url is None
    with pytest.raises(KasalConfigError, match="kasal login"):
        AsyncKasal()


def test_a_url_without_a_token_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_login(monkeypatch, tmp_path)
    monkeypatch.setenv("KASAL_URL", "http://kasal:8000")
    with pytest.raises(KasalConfigError, match="KASAL_TOKEN"):
        AsyncKasal()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://host:8000", "http://host:8000"),
        ("http://host:8000/", "http://host:8000"),
        ("http://host:8000/api/v1/", "http://host:8000"),
        ("https://kasal.example.com/api", "https://kasal.example.com"),
        ("host:8000", "http://host:8000"),
        (" https://kasal.example.com/team ", "https://kasal.example.com/team"),
    ],
)
def test_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_url(given) == expected
