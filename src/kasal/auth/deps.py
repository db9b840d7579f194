"""Request dependencies of identity: who is calling, in which group and with which role.

The session and the settings are in `kasal.core.deps`; they need no caller.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kasal.auth import groups
from kasal.auth import service as auth
from kasal.auth.models import User
from kasal.core.context import GroupContext, Role
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Forbidden, NotFound, Unauthorized
from kasal.core.openapi import raises

_bearer = HTTPBearer(auto_error=False, description="A JWT access token or a personal token")


@raises(Unauthorized)
async def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if settings.auth_mode == "databricks":
        email = request.headers.get("X-Forwarded-Email")
        if email:
            # The on-behalf-of token lives only as long as this request; it is never stored.
            request.state.databricks_token = request.headers.get("X-Forwarded-Access-Token")
            return await auth.provision_forwarded_user(session, settings, email)
    if credentials is None:
        raise Unauthorized("not_authenticated", "Sign in or send an Authorization: Bearer token")
    return await auth.authenticate(session, settings, credentials.credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def databricks_token(request: Request) -> str | None:
    """The Databricks on-behalf-of token of this request (Databricks Apps mode only)."""
    return getattr(request.state, "databricks_token", None)


DatabricksToken = Annotated[str | None, Depends(databricks_token)]


@raises(Forbidden)
async def require_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("admin_required", "Only administrators may do this")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


@raises(NotFound)
async def get_group_context(
    user: CurrentUser,
    session: SessionDep,
    x_kasal_group: Annotated[
        str | None, Header(description="Active group id (default: your personal group)")
    ] = None,
) -> GroupContext:
    group_id = None
    if x_kasal_group:
        try:
            group_id = uuid.UUID(x_kasal_group)
        except ValueError as exc:
            raise NotFound("group_not_found", "No such group") from exc
    return await groups.context_for(session, user, group_id)


def _role(needed: Role) -> object:
    @raises(Forbidden)
    async def dependency(
        ctx: Annotated[GroupContext, Depends(get_group_context)],
    ) -> GroupContext:
        return groups.require(ctx, needed)

    return Depends(dependency)


GroupCtx = Annotated[GroupContext, Depends(get_group_context)]
OperatorCtx = Annotated[GroupContext, _role(Role.operator)]
EditorCtx = Annotated[GroupContext, _role(Role.editor)]
GroupAdminCtx = Annotated[GroupContext, _role(Role.admin)]
