"""The secret box: credentials encrypted at rest, with keys that can be rotated.

Fernet (AES-CBC + HMAC) through MultiFernet: the first key encrypts, every key decrypts,
so a new key can be put in front and the old ciphertexts re-encrypted at leisure.
Keys come from `KASAL_SECRET_KEYS` (comma-separated, first = primary), or else from a
key file created once in the data dir (mode 0600, one key per line, first = primary),
so that a restart never loses the key.

A process installs one box at start-up (`install`); services reach it through
`current()`, because the functions that decrypt (e.g. resolving a run's models) are
called from places that have a session but no settings.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from kasal.core.config import Settings
from kasal.core.errors import ConfigError, KasalError

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret_keys"
ENV_SOURCE = "KASAL_SECRET_KEYS"


class SecretUnreadable(KasalError):
    """A stored secret no configured key opens: the keys changed, not the request."""

    status_code = 500

    def __init__(self) -> None:
        super().__init__(
            "secret_undecryptable",
            "A stored credential cannot be decrypted with the configured secret keys "
            f"({ENV_SOURCE} or the key file changed?). An administrator must restore the "
            "old key, or the credential must be entered again.",
        )


def generate_key() -> str:
    return Fernet.generate_key().decode()


def key_file_path(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE_NAME


def _fernets(keys: Sequence[str], source: str) -> list[Fernet]:
    if not keys:
        raise ConfigError(f"{source} holds no secret key")
    fernets = []
    for index, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError:
            raise ConfigError(
                f"{source}: key {index} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes, as `kasal secrets rotate` makes)"
            ) from None
    return fernets


class SecretBox:
    """Encrypts with the primary key, decrypts with any key."""

    def __init__(
        self, keys: Sequence[str], *, source: str = "secret keys", key_file: Path | None = None
    ) -> None:
        self.source = source
        self.key_file = key_file
        self._load(keys)

    def _load(self, keys: Sequence[str]) -> None:
        keys = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
        self._multi = MultiFernet(_fernets(keys, self.source))
        self._keys = tuple(keys)

    @classmethod
    def from_settings(cls, settings: Settings, *, create: bool = True) -> SecretBox:
        """From KASAL_SECRET_KEYS, else the data dir's key file (created on first use).

        `create=False` (maintenance commands) refuses a missing key file instead of
        making a new key that could not open what the old one encrypted.
        """
        if settings.secret_keys:
            return cls([k.get_secret_value() for k in settings.secret_keys], source=ENV_SOURCE)
        path = key_file_path(settings)
        if not create and not path.exists():
            raise ConfigError(
                f"The secret key file {path} does not exist. Restore it from a backup, or set "
                f"{ENV_SOURCE}, and check that KASAL_DATA_DIR points where the server keeps it."
            )
        if not settings.is_dev:
            log.warning(
                "secret keys come from %s: every replica needs the same file; "
                "prefer %s in production",
                path,
                ENV_SOURCE,
            )
        return cls(read_or_create_key_file(path), source=str(path), key_file=path)

    @property
    def keys(self) -> tuple[str, ...]:
        return self._keys

    @property
    def primary(self) -> str:
        return self._keys[0]

    def __repr__(self) -> str:  # never the keys
        return f"SecretBox(source={self.source!r}, keys={len(self._keys)})"

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode()).decode()
        except InvalidToken:
            if not self._reload_key_file():
                raise SecretUnreadable() from None
        try:
            return self._multi.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable() from None

    def can_decrypt(self, token: str) -> bool:
        try:
            self._multi.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def reencrypt(self, token: str) -> str:
        """The same plaintext, encrypted under the primary key (SecretUnreadable if no key fits)."""
        try:
            return self._multi.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable() from None

    def with_primary(self, key: str) -> SecretBox:
        """A box that encrypts with `key` and still reads everything this one reads."""
        return SecretBox([key, *self._keys], source=self.source, key_file=self.key_file)

    def primary_only(self) -> SecretBox:
        return SecretBox([self.primary], source=self.source, key_file=self.key_file)

    def _reload_key_file(self) -> bool:
        """A rotation in another process (`kasal secrets rotate`) rewrote the key file."""
        if self.key_file is None:
            return False
        try:
            keys = read_key_file(self.key_file)
        except ConfigError:
            return False
        if tuple(keys) == self._keys:
            return False
        self._load(keys)
        log.info("secret keys reloaded from the key file")
        return True


def read_key_file(path: Path) -> list[str]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"Cannot read the secret key file {path}: {exc.strerror}") from None
    keys = [line.strip() for line in text.splitlines() if line.strip()]
    _fernets(keys, f"The secret key file {path}")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the secret key file %s is readable by others: chmod 600 it", path)
    return keys


def read_or_create_key_file(path: Path) -> list[str]:
    if not path.exists():
        _create_key_file(path, [generate_key()])
    return read_key_file(path)


def write_key_file(path: Path, keys: Sequence[str]) -> None:
    """Replace the key file atomically: readers see the old keys or the new, never half."""
    _fernets(keys, "The new key list")
    os.replace(_private_temp_file(path, keys), path)


def _create_key_file(path: Path, keys: Sequence[str]) -> None:
    """Create once, atomically, never overwriting: a key another process made wins."""
    temp = _private_temp_file(path, keys)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()


def _private_temp_file(path: Path, keys: Sequence[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(f"{key}\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


_installed: SecretBox | None = None


def install(box: SecretBox | None) -> SecretBox | None:
    """Make `box` the process's secret box; returns the previous one (to restore it)."""
    global _installed
    previous, _installed = _installed, box
    return previous


def current() -> SecretBox:
    if _installed is None:
        raise RuntimeError(
            "No secret box installed: call kasal.core.crypto.install(SecretBox.from_settings(...))"
        )
    return _installed
