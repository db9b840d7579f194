"""HTTP endpoints of auth, users and groups. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status

from kasal.auth import groups, users
from kasal.auth import service as auth
from kasal.auth.deps import AdminUser, CurrentUser, GroupCtx
from kasal.auth.schemas import (
    AccessTokenCreate,
    AccessTokenCreated,
    AccessTokenRead,
    GroupCreate,
    GroupRead,
    GroupUpdate,
    LoginRequest,
    MemberAdd,
    MemberRead,
    MemberUpdate,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserRead,
    UserUpdate,
)
from kasal.core.config import Settings
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict, Forbidden, Unauthorized
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery

REFRESH_COOKIE = "kasal_refresh"
_COOKIE_PATH = "/api/v1/auth"

router = APIRouter(tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])
groups_router = APIRouter(prefix="/groups", tags=["groups"])

_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
        },
    }
}


async def _login_body(request: Request) -> LoginRequest:
    """JSON for scripts and the web app; the OAuth2 password form for OpenAPI clients."""
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        return LoginRequest.model_validate(
            {"username": form.get("username"), "password": form.get("password")}
        )
    return LoginRequest.model_validate_json(await request.body() or b"{}")


def _set_refresh_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=settings.refresh_token_ttl_s,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=not settings.is_dev,
    )


def _presented_refresh_token(request: Request, body: RefreshRequest | None) -> str | None:
    return (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)


@router.post("/auth/login", openapi_extra=_LOGIN_BODY, responses=error_responses(Unauthorized))
async def login(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> TokenPair:
    body = await _login_body(request)
    ip = request.client.host if request.client else "unknown"
    pair = await auth.login(session, settings, request.app.state.login_limiter, body, ip)
    _set_refresh_cookie(response, pair.refresh_token, settings)
    return pair


@router.post("/auth/refresh", responses=error_responses(Unauthorized))
async def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> TokenPair:
    pair = await auth.refresh(session, settings, _presented_refresh_token(request, body))
    _set_refresh_cookie(response, pair.refresh_token, settings)
    return pair


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request,
    response: Response,
    session: SessionDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> None:
    await auth.logout(session, _presented_refresh_token(request, body))
    response.delete_cookie(REFRESH_COOKIE, path=_COOKIE_PATH)


@router.post("/auth/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(
    body: AccessTokenCreate, user: CurrentUser, session: SessionDep
) -> AccessTokenCreated:
    return await auth.create_personal_token(session, user, body)


@router.get("/auth/tokens")
async def list_tokens(
    user: CurrentUser, session: SessionDep, page: PageQuery
) -> Page[AccessTokenRead]:
    return await auth.list_personal_tokens(session, user, page)


@router.delete("/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_token(token_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    await auth.delete_personal_token(session, user, token_id)


@users_router.get("/me")
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@users_router.get("")
async def list_users(_: AdminUser, session: SessionDep, page: PageQuery) -> Page[UserRead]:
    return await users.list_users(session, page)


@users_router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(Conflict))
async def create_user(
    body: UserCreate, _: AdminUser, session: SessionDep, settings: SettingsDep
) -> UserRead:
    return await users.create(session, settings, body)


@users_router.patch("/{user_id}", responses=error_responses(Conflict))
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, admin: AdminUser, session: SessionDep
) -> UserRead:
    return await users.update(session, admin, user_id, body)


@groups_router.get("")
async def list_groups(user: CurrentUser, session: SessionDep, page: PageQuery) -> Page[GroupRead]:
    return await groups.list_groups(session, user, page)


@groups_router.post("", status_code=status.HTTP_201_CREATED)
async def create_group(body: GroupCreate, user: CurrentUser, session: SessionDep) -> GroupRead:
    return await groups.create(session, user, body)


@groups_router.get("/current", summary="The active group (X-Kasal-Group) and your role in it")
async def current_group(ctx: GroupCtx, session: SessionDep) -> GroupRead:
    return await groups.current(session, ctx)


@groups_router.get("/{group_id}")
async def get_group(group_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> GroupRead:
    return await groups.get(session, user, group_id)


@groups_router.patch("/{group_id}", responses=error_responses(Forbidden))
async def update_group(
    group_id: uuid.UUID, body: GroupUpdate, user: CurrentUser, session: SessionDep
) -> GroupRead:
    return await groups.update(session, user, group_id, body)


@groups_router.delete(
    "/{group_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(Forbidden, Conflict),
)
async def delete_group(group_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    await groups.delete(session, user, group_id)


@groups_router.get("/{group_id}/members")
async def list_members(
    group_id: uuid.UUID, user: CurrentUser, session: SessionDep, page: PageQuery
) -> Page[MemberRead]:
    return await groups.list_members(session, user, group_id, page)


@groups_router.post(
    "/{group_id}/members",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Forbidden, Conflict),
)
async def add_member(
    group_id: uuid.UUID, body: MemberAdd, user: CurrentUser, session: SessionDep
) -> MemberRead:
    return await groups.add_member(session, user, group_id, body)


@groups_router.patch(
    "/{group_id}/members/{user_id}", responses=error_responses(Forbidden, Conflict)
)
async def update_member(
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberUpdate,
    user: CurrentUser,
    session: SessionDep,
) -> MemberRead:
    return await groups.update_member(session, user, group_id, user_id, body)


@groups_router.delete(
    "/{group_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(Forbidden, Conflict),
)
async def remove_member(
    group_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await groups.remove_member(session, user, group_id, user_id)
