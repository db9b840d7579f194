"""The CLI's help names the real place of access tokens (the web app's user menu)."""

from __future__ import annotations

from tests.cli.support import invoke


def test_login_help_says_where_tokens_are_created() -> None:
    result = invoke(["login", "--help"], {"COLUMNS": "300", "NO_COLOR": "1"})

    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "your user menu (top right) → Personal access tokens" in text
    assert "POST /api/v1/auth/tokens" in text
    assert "Settings → Access tokens" not in text  # no such page
