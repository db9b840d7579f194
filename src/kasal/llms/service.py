"""The model catalog as one group sees it, its edits, and resolving models for a run.

Three layers merge per key: global rows (seeded, or added by instance admins), a group's
override of a global row (only the columns it sets win), and a group's own custom models.
Editing a global model from a group writes that group's override, so other groups never
see the change; instance admins edit the global row itself (`scope="global"`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.config import Settings
from kasal.core.context import GroupContext
from kasal.core.db import committed_unless_taken
from kasal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kasal.core.pagination import Page
from kasal.core.repository import Repository
from kasal.engine.providers import KEYLESS, PROVIDERS, Credential, credential_source
from kasal.engine.spec import LLMConfig
from kasal.llms import databricks
from kasal.llms.models import GroupLLMModel, LLMModel
from kasal.llms.repository import GlobalModelRepository, GroupModelRepository
from kasal.llms.schemas import DiscoveredModel, ModelCreate, ModelRead, ModelUpdate, Scope
from kasal.secrets import service as secrets

IDENTITY = ("provider", "model", "kind")  # what a model is: fixed for a group's view of a global
OVERRIDABLE = (
    "label",
    "context_window",
    "max_output_tokens",
    "default_temperature",
    "enabled",
    "base_url",
    "input_price_per_mtok",
    "output_price_per_mtok",
)
FIELDS = IDENTITY + OVERRIDABLE
REQUIRED = ("provider", "model", "kind", "label", "enabled")

Values = dict[str, Any]

DEMO_MODEL = "demo"
# How long a local endpoint (Ollama) may take to answer before it counts as not running.
_PROBE_SECONDS = 1.0


async def catalog(
    session: AsyncSession, ctx: GroupContext, databricks_token: str | None = None
) -> dict[str, ModelRead]:
    """Every model key visible to the group, enabled or not, with the group's view of it."""
    return await _catalog(session, ctx.group_id, databricks_token)


async def list_models(
    session: AsyncSession, ctx: GroupContext, databricks_token: str | None = None
) -> Page[ModelRead]:
    models = await catalog(session, ctx, databricks_token)
    default = await _first_working(models)
    return Page(
        items=[m.model_copy(update={"is_default": m.key == default}) for m in models.values()]
    )


async def discover(
    session: AsyncSession, ctx: GroupContext, settings: Settings, databricks_token: str | None
) -> list[DiscoveredModel]:
    """The workspace's serving endpoints Kasal can use, asked as the caller."""
    if not settings.databricks_host:
        raise InvalidInput(
            "databricks_host_missing",
            "Set DATABRICKS_HOST to the workspace URL to discover its serving endpoints.",
        )
    token = databricks_token
    if token is None:
        stored = await secrets.decrypted_keys(session, ctx.group_id, ["databricks"])
        token = stored["databricks"].get_secret_value() if "databricks" in stored else None
    if token is None:
        raise InvalidInput(
            "missing_api_key",
            "No Databricks credential: store the group's Databricks key (API keys) "
            "or use Kasal through its Databricks App.",
        )
    endpoints = await databricks.serving_endpoints(settings.databricks_host, token)
    models = await catalog(session, ctx, databricks_token)
    keys = {m.model: m.key for m in models.values() if m.provider == "databricks"}
    return [
        DiscoveredModel(
            name=e.name,
            kind=databricks.TASKS[e.task],
            task=e.task,
            ready=databricks.is_ready(e),
            catalog_key=keys.get(e.name),
        )
        for e in endpoints
        if e.name and e.task in databricks.TASKS
    ]


async def get(
    session: AsyncSession, ctx: GroupContext, key: str, databricks_token: str | None = None
) -> ModelRead:
    return await _one(session, ctx.group_id, key, databricks_token)


async def create(
    session: AsyncSession,
    ctx: GroupContext,
    body: ModelCreate,
    *,
    scope: Scope = "group",
    instance_admin: bool = False,
    databricks_token: str | None = None,
) -> ModelRead:
    """A group's own model, or (scope global, instance admins) a model for every group."""
    values = body.model_dump(include=set(FIELDS))
    values["label"] = values["label"] or body.model
    globals_ = GlobalModelRepository(session)
    existing_global = await globals_.by_key(body.key)
    if scope == "global":
        _require_instance_admin(instance_admin)
        if existing_global is not None:
            raise _key_taken(body.key)
        await _insert(session, globals_, LLMModel(key=body.key, **values))
        return await _one(session, ctx.group_id, body.key, databricks_token)
    group_repo = GroupModelRepository(session, ctx.group_id)
    own = await group_repo.by_key(body.key)
    if existing_global is not None or (own is not None and own.is_custom):
        raise _key_taken(body.key)
    if own is None:
        await _insert(session, group_repo, GroupLLMModel(key=body.key, is_custom=True, **values))
    else:  # an override left behind by a global model that was removed
        _apply(own, {**values, "is_custom": True})
        await session.commit()
    return await _one(session, ctx.group_id, body.key, databricks_token)


async def update(
    session: AsyncSession,
    ctx: GroupContext,
    key: str,
    body: ModelUpdate,
    *,
    scope: Scope = "group",
    instance_admin: bool = False,
    databricks_token: str | None = None,
) -> ModelRead:
    changes = body.model_dump(exclude_unset=True)
    globals_ = GlobalModelRepository(session)
    if scope == "global":
        _require_instance_admin(instance_admin)
        global_row = await _global(globals_, key)
        _check_required(changes)
        _apply(global_row, changes)
        await session.commit()
        stored = await secrets.providers_with_keys(session, ctx.group_id)
        return _read(key, _values(global_row), stored, databricks_token)
    group_repo = GroupModelRepository(session, ctx.group_id)
    own = await group_repo.by_key(key)
    if own is not None and own.is_custom:
        _check_required(changes)
        _apply(own, changes)
    else:
        global_row = await _global(globals_, key)
        _check_identity_unchanged(global_row, changes)
        if own is None:
            own = await group_repo.add(GroupLLMModel(key=key, is_custom=False))
        _apply(own, {f: v for f, v in changes.items() if f in OVERRIDABLE})
        if all(getattr(own, f) is None for f in OVERRIDABLE):
            await group_repo.delete(own)  # nothing left to override
    await session.commit()
    return await _one(session, ctx.group_id, key, databricks_token)


async def delete(
    session: AsyncSession,
    ctx: GroupContext,
    key: str,
    *,
    scope: Scope = "group",
    instance_admin: bool = False,
) -> None:
    """Group scope: remove a custom model, or reset the group's overrides of a global one."""
    globals_ = GlobalModelRepository(session)
    if scope == "global":
        _require_instance_admin(instance_admin)
        global_row = await _global(globals_, key)
        if global_row.seeded_values is not None:
            raise Conflict(
                "seeded_model",
                f"Model {key!r} comes from the seed data and would come back: disable it instead",
            )
        await globals_.delete_overrides(key)
        await globals_.delete(global_row)
        await session.commit()
        return
    group_repo = GroupModelRepository(session, ctx.group_id)
    own = await group_repo.by_key(key)
    if own is None:
        await _global(globals_, key)  # 404 for a key nobody knows; else nothing to reset
        return
    await group_repo.delete(own)
    await session.commit()


async def default_model(
    session: AsyncSession, group_id: uuid.UUID, databricks_token: str | None = None
) -> str:
    """The model an agent gets when it names none: one that can run right now.

    That is the first enabled chat model of the group's catalog (in the picker's order)
    whose credential is there, or, for a keyless local server such as Ollama, whose
    endpoint answers. With neither, the offline `demo` model: a first run cannot fail
    for want of a key.
    """
    return await _first_working(await _catalog(session, group_id, databricks_token))


async def _first_working(models: dict[str, ModelRead]) -> str:
    for model in models.values():
        if model.kind != "chat" or not model.enabled or model.provider == "demo":
            continue
        if model.provider in KEYLESS:
            if model.base_url and await _answers(model.base_url):
                return model.key
        elif model.has_key:
            return model.key
    return DEMO_MODEL


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=_PROBE_SECONDS) as client:
            await client.get(url)
    except (httpx.HTTPError, OSError):
        return False
    return True


async def resolve_for_run(
    session: AsyncSession,
    group_id: uuid.UUID,
    model_keys: Collection[str],
    databricks_token: str | None = None,
) -> dict[str, LLMConfig]:
    """The run configuration of each model, with the group's decrypted credentials.

    Raises InvalidInput (unknown_model, model_disabled, missing_api_key) naming every
    offending model or provider at once.
    """
    keys = sorted(set(model_keys))
    stored = await secrets.providers_with_keys(session, group_id)
    models = await _catalog(session, group_id, databricks_token, keys=keys, stored=stored)
    unknown = [k for k in keys if k not in models]
    if unknown:
        raise InvalidInput(
            "unknown_model",
            f"Unknown model{_s(unknown)}: {', '.join(unknown)}",
            details=[{"model": k} for k in unknown],
        )
    disabled = [k for k in keys if not models[k].enabled]
    if disabled:
        raise InvalidInput(
            "model_disabled",
            f"Model{_s(disabled)} {', '.join(disabled)} "
            f"{'is' if len(disabled) == 1 else 'are'} disabled in this group: "
            "enable under Settings > Models",
            details=[{"model": k} for k in disabled],
        )
    _require_credentials([models[k] for k in keys])
    sources = {
        k: credential_source(
            models[k].provider,
            has_stored_key=models[k].provider in stored,
            databricks_token=databricks_token,
        )
        for k in keys
    }
    needed = {models[k].provider for k in keys if sources[k] is Credential.stored}
    credentials = await secrets.decrypted_keys(session, group_id, needed)
    return {k: _llm_config(models[k], sources[k], credentials, databricks_token) for k in keys}


def _require_credentials(models: list[ModelRead]) -> None:
    missing: dict[str, list[str]] = {}
    for model in models:
        if not model.has_key:
            missing.setdefault(model.provider, []).append(model.key)
    if not missing:
        return
    providers = sorted(missing)
    if len(providers) == 1:
        message = f"No API key for provider {providers[0]}: add one under Settings > API keys"
    else:
        message = (
            f"No API key for providers {', '.join(providers)}: add them under Settings > API keys"
        )
    raise InvalidInput(
        "missing_api_key",
        message,
        details=[{"provider": p, "models": missing[p]} for p in providers],
    )


def _llm_config(
    model: ModelRead,
    source: Credential,
    credentials: dict[str, SecretStr],
    databricks_token: str | None,
) -> LLMConfig:
    api_key = None
    if source is Credential.stored:
        api_key = credentials[model.provider]
    elif source is Credential.on_behalf_of and databricks_token:
        api_key = SecretStr(databricks_token)
    # max_output_tokens is what the model can do, not a cap to send: several APIs refuse
    # `max_tokens` for some models (OpenAI's o-series), so it is not passed on.
    return LLMConfig(
        key=model.key,
        provider=model.provider,
        model=model.model,
        base_url=model.base_url,
        api_key=api_key,
        temperature=model.default_temperature,
        context_window=model.context_window,
        input_price_per_mtok=model.input_price_per_mtok,
        output_price_per_mtok=model.output_price_per_mtok,
    )


async def _catalog(
    session: AsyncSession,
    group_id: uuid.UUID,
    databricks_token: str | None,
    *,
    keys: Collection[str] | None = None,
    stored: set[str] | None = None,
) -> dict[str, ModelRead]:
    """The group's view of every model, or of `keys` only (a run start reads just those).
    `stored`: the providers with a stored key, when the caller has them already."""
    global_rows = await GlobalModelRepository(session).all_models(keys)
    group_rows = {r.key: r for r in await GroupModelRepository(session, group_id).all_rows(keys)}
    if stored is None:
        stored = await secrets.providers_with_keys(session, group_id)
    views: dict[str, ModelRead] = {}
    for row in global_rows:
        own = group_rows.get(row.key)
        if own is None or not own.is_custom:
            views[row.key] = _read(
                row.key, _values(row, own), stored, databricks_token, overridden=own is not None
            )
    for key, own in group_rows.items():
        if own.is_custom:
            views[key] = _read(key, _values(own), stored, databricks_token, custom=True)
    order = list(PROVIDERS)
    return dict(sorted(views.items(), key=lambda item: (order.index(item[1].provider), item[0])))


async def _one(
    session: AsyncSession, group_id: uuid.UUID, key: str, databricks_token: str | None
) -> ModelRead:
    model = (await _catalog(session, group_id, databricks_token)).get(key)
    if model is None:
        raise _not_found(key)
    return model


def _values(row: LLMModel | GroupLLMModel, override: GroupLLMModel | None = None) -> Values:
    values = {f: getattr(row, f) for f in FIELDS}
    if override is not None:
        values.update(
            {f: getattr(override, f) for f in OVERRIDABLE if getattr(override, f) is not None}
        )
    return values


def _read(
    key: str,
    values: Values,
    stored: set[str],
    databricks_token: str | None,
    *,
    custom: bool = False,
    overridden: bool = False,
) -> ModelRead:
    source = credential_source(
        values["provider"],
        has_stored_key=values["provider"] in stored,
        databricks_token=databricks_token,
    )
    return ModelRead(
        key=key,
        **values,
        is_custom=custom,
        overridden=overridden,
        has_key=source is not Credential.missing,
    )


def _apply(row: LLMModel | GroupLLMModel, changes: Values) -> None:
    for field, value in changes.items():
        setattr(row, field, value)


def _check_required(changes: Values) -> None:
    empty = [f for f in REQUIRED if f in changes and changes[f] is None]
    if empty:
        raise InvalidInput(
            "invalid_model",
            f"These fields cannot be empty: {', '.join(empty)}",
            details=[{"loc": ["body", f], "message": "cannot be null"} for f in empty],
        )


def _check_identity_unchanged(row: LLMModel, changes: Values) -> None:
    changed = [
        f
        for f in IDENTITY
        if f in changes and changes[f] is not None and changes[f] != getattr(row, f)
    ]
    if changed:
        raise InvalidInput(
            "catalog_model_fixed",
            f"The {', '.join(changed)} of catalog model {row.key!r} cannot be changed "
            "from a group: add a custom model instead",
            details=[{"loc": ["body", f], "message": "fixed for catalog models"} for f in changed],
        )


def _require_instance_admin(instance_admin: bool) -> None:
    if not instance_admin:
        raise Forbidden("admin_required", "Only administrators may change the global catalog")


async def _global(repo: GlobalModelRepository, key: str) -> LLMModel:
    row = await repo.by_key(key)
    if row is None:
        raise _not_found(key)
    return row


async def _insert(
    session: AsyncSession,
    repo: Repository[Any],
    row: LLMModel | GroupLLMModel,
) -> None:
    async with committed_unless_taken(session, _key_taken(row.key)):
        await repo.add(row)


def _key_taken(key: str) -> Conflict:
    return Conflict("model_key_taken", f"A model with key {key!r} already exists")


def _not_found(key: str) -> NotFound:
    return NotFound("model_not_found", f"No model {key!r}")


def _s(items: list[str]) -> str:
    return "" if len(items) == 1 else "s"
