"""Where the client finds its server and token: the environment, else the saved login.

`kasal login` saves `{"url", "token"}` to `$KASAL_CONFIG_DIR/config.json`, else
`$XDG_CONFIG_HOME/kasal/config.json` (default `~/.config/kasal/config.json`), readable
by the user only (0600): the token is as good as a password. `KASAL_URL` and
`KASAL_TOKEN` override the saved values one by one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class Login:
    url: str | None
    token: str | None

    @property
    def complete(self) -> bool:
        return bool(self.url and self.token)


def config_dir() -> Path:
    explicit = os.environ.get("KASAL_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "kasal"


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def saved_login() -> Login:
    """The login `kasal login` saved (fields None when there is none, or it is unreadable)."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Login(None, None)
    if not isinstance(data, dict):
        return Login(None, None)
    url, token = data.get("url"), data.get("token")
    return Login(url if isinstance(url, str) else None, token if isinstance(token, str) else None)


def current_login() -> Login:
    """The environment first, then the saved login, field by field."""
    saved = saved_login()
    return Login(
        os.environ.get("KASAL_URL") or saved.url,
        os.environ.get("KASAL_TOKEN") or saved.token,
    )


def save_login(url: str, token: str) -> Path:
    """Write the login with mode 0600 (the directory 0700), replacing any earlier one."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / CONFIG_FILE
    temporary = directory / f".{CONFIG_FILE}.{os.getpid()}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)  # O_CREAT's mode is filtered by the umask
            json.dump({"url": url, "token": token}, handle, indent=2)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def forget_login() -> bool:
    """Delete the saved login; False when there was none."""
    try:
        config_path().unlink()
    except FileNotFoundError:
        return False
    return True
