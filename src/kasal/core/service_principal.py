"""The Databricks App's own identity, for work done with no user present.

A schedule's or a trigger's run has no signed-in user, so no forwarded user token: in an App
its workspace calls (model serving, the `databricks_*` tools) act as the app's service
principal, `DATABRICKS_CLIENT_ID`/`DATABRICKS_CLIENT_SECRET`, which the platform sets. The
token is an OAuth machine-to-machine token that databricks-sdk asks the workspace for and
caches, renewing it shortly before it expires, so every run gets a valid one.
"""

from __future__ import annotations

import asyncio
from functools import cached_property
from typing import TYPE_CHECKING

from kasal.core.errors import BadGateway

if TYPE_CHECKING:
    from databricks.sdk.config import Config

TIMEOUT_S = 30


class ServicePrincipal:
    def __init__(self, host: str, client_id: str, client_secret: str) -> None:
        self.host = host.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret

    @cached_property
    def _config(self) -> Config:
        # Built on first use: Config asks the workspace for its OAuth endpoints at once, and
        # importing the SDK takes seconds that a CLI command should not pay.
        from databricks.sdk.config import Config

        return Config(
            host=self.host,
            client_id=self.client_id,
            client_secret=self._client_secret,
            auth_type="oauth-m2m",
            http_timeout_seconds=TIMEOUT_S,
            retry_timeout_seconds=TIMEOUT_S,
        )

    def _token(self) -> str:
        return self._config.oauth_token().access_token

    async def token(self) -> str:
        """A valid access token of the principal (the SDK's cached one while it lasts)."""
        try:
            return await asyncio.to_thread(self._token)
        except (OSError, ValueError) as exc:  # the SDK's failures are ValueErrors or IOErrors
            raise BadGateway(
                "service_principal_failed",
                f"The app's service principal ({self.client_id}) could not get a Databricks "
                f"token from {self.host}: {exc}",
            ) from exc
