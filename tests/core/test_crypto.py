"""The secret box: encryption at rest, key files, and keys that rotate without loss."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.crypto import SecretBox, SecretUnreadable, generate_key
from kasal.core.errors import ConfigError
from tests.support.app import make_settings


def _settings(data_dir: Path, **overrides: object) -> Settings:
    return make_settings("sqlite+aiosqlite://", data_dir, **overrides)


def test_round_trip_and_ciphertext_hides_the_value() -> None:
    box = SecretBox([generate_key()])
    token = box.encrypt("sk-live-0123456789")
    assert "sk-live" not in token
    assert box.decrypt(token) == "sk-live-0123456789"
    assert box.encrypt("same") != box.encrypt("same")  # random IV: no equality leak


def test_first_key_encrypts_every_key_decrypts() -> None:
    old, new = generate_key(), generate_key()
    old_token = SecretBox([old]).encrypt("v1")
    both = SecretBox([new, old])
    assert both.decrypt(old_token) == "v1"
    assert SecretBox([new]).decrypt(both.encrypt("v2")) == "v2"
    rotated = both.reencrypt(old_token)
    assert SecretBox([new]).decrypt(rotated) == "v1"
    with pytest.raises(SecretUnreadable):
        SecretBox([old]).decrypt(rotated)


def test_an_unknown_key_is_a_clear_error_without_the_value() -> None:
    token = SecretBox([generate_key()]).encrypt("sk-secret-value")
    with pytest.raises(SecretUnreadable) as caught:
        SecretBox([generate_key()]).decrypt(token)
    assert caught.value.code == "secret_undecryptable"
    assert "sk-secret" not in caught.value.message
    assert not SecretBox([generate_key()]).can_decrypt(token)


@pytest.mark.parametrize("keys", [[], ["not-a-key"], [generate_key(), "short"]])
def test_invalid_keys_are_refused(keys: list[str]) -> None:
    with pytest.raises(ConfigError, match="key"):
        SecretBox(keys)


def test_repr_never_shows_keys() -> None:
    key = generate_key()
    assert key not in repr(SecretBox([key]))


def test_keys_from_the_environment_setting(tmp_path: Path) -> None:
    primary, old = generate_key(), generate_key()
    settings = _settings(tmp_path, secret_keys=f" {primary} , {old} ")
    box = SecretBox.from_settings(settings)
    assert box.keys == (primary, old)
    assert box.key_file is None
    assert not (tmp_path / crypto.KEY_FILE_NAME).exists()
    assert primary not in repr(settings)


def test_key_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    first = SecretBox.from_settings(settings)
    path = tmp_path / "data" / crypto.KEY_FILE_NAME
    assert first.key_file == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = SecretBox.from_settings(settings)
    assert second.keys == first.keys
    assert second.decrypt(first.encrypt("kept across restarts")) == "kept across restarts"
    assert [p.name for p in path.parent.iterdir()] == [crypto.KEY_FILE_NAME]  # no temp left


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / crypto.KEY_FILE_NAME
    key = generate_key()
    path.write_text(f"{key}\n")
    assert SecretBox.from_settings(_settings(tmp_path)).keys == (key,)
    assert path.read_text() == f"{key}\n"


def test_processes_racing_to_create_the_key_file_agree(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    boxes: list[SecretBox] = []
    threads = [
        threading.Thread(target=lambda: boxes.append(SecretBox.from_settings(settings)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({box.keys for box in boxes}) == 1


def test_a_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / crypto.KEY_FILE_NAME).write_text("this is not a key\n")
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        SecretBox.from_settings(_settings(tmp_path))


def test_a_missing_key_file_is_refused_when_asked_not_to_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        SecretBox.from_settings(_settings(tmp_path), create=False)
    assert not (tmp_path / crypto.KEY_FILE_NAME).exists()


def test_a_running_box_picks_up_a_rotated_key_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    running = SecretBox.from_settings(settings)
    new_key = Fernet.generate_key().decode()
    crypto.write_key_file(tmp_path / crypto.KEY_FILE_NAME, [new_key, *running.keys])
    token = SecretBox([new_key]).encrypt("encrypted after rotation")
    assert running.decrypt(token) == "encrypted after rotation"
    assert running.primary == new_key


def test_install_returns_the_previous_box() -> None:
    box = SecretBox([generate_key()])
    previous = crypto.install(box)
    try:
        assert crypto.current() is box
    finally:
        crypto.install(previous)
