"""Flows: versioned documents (saved as crews are, by `core.versioning`), their checks,
crewai.flow/v1 import and export, and the snapshot a run takes of one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.context import GroupContext
from kasal.core.errors import InvalidInput, StoredDataInvalid
from kasal.core.pagination import Page, PageParams
from kasal.core.versioning import Saved, Versions
from kasal.crews import service as crews
from kasal.crews.deps import ImportUpload
from kasal.crews.porting import ExportFile
from kasal.crews.schemas import BasedOn, Problem, VersionSummary
from kasal.engine.spec import ApprovalSettings, FlowEdge, FlowSpec, FlowStep
from kasal.flows import porting, validation
from kasal.flows.models import Flow, FlowVersion
from kasal.flows.porting import FlowExportFormat
from kasal.flows.repository import FlowRepository, FlowVersionRepository
from kasal.flows.schemas import (
    FlowBody,
    FlowCreate,
    FlowImported,
    FlowRead,
    FlowReplace,
    FlowStepBody,
    FlowSummary,
    FlowValidationReport,
    FlowVersionRead,
)
from kasal.llms import service as llms
from kasal.mcp import service as mcp


@dataclass(frozen=True)
class FlowSnapshot:
    """What a run needs of a flow: its spec at one version, each crew step's crew checked
    and frozen in it, and its inputs (declared; a default fills one not given)."""

    flow_id: uuid.UUID
    name: str
    version: int
    spec: FlowSpec
    inputs: list[str]
    default_inputs: dict[str, str]


def _versions(session: AsyncSession, ctx: GroupContext) -> Versions[Flow, FlowVersion]:
    return Versions(session, ctx, FlowRepository, FlowVersionRepository, "flow")


# ---------------------------------------------------------------- reading


async def list_flows(
    session: AsyncSession, ctx: GroupContext, params: PageParams, q: str | None = None
) -> Page[FlowSummary]:
    rows, cursor = await FlowRepository(session, ctx.group_id).search(params, q)
    items = [
        FlowSummary(
            id=f.id,
            name=f.name,
            description=f.description,
            version=f.version,
            step_count=len(f.content.get("steps", [])),
            created_at=f.created_at,
            updated_at=f.updated_at,
        )
        for f in rows
    ]
    return Page(items=items, next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID) -> FlowRead:
    return await _read(session, ctx, await _versions(session, ctx).head(flow_id))


async def list_versions(
    session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID, params: PageParams
) -> Page[VersionSummary]:
    versions = _versions(session, ctx)
    await versions.head(flow_id)
    rows, cursor = await versions.versions.history(flow_id, params)
    items = [
        VersionSummary(version=v.version, created_at=v.created_at, author_email=v.author_email)
        for v in rows
    ]
    return Page(items=items, next_cursor=cursor)


async def get_version(
    session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID, version: int
) -> FlowVersionRead:
    versions = _versions(session, ctx)
    flow = await versions.head(flow_id)
    row = await versions.version(flow_id, version)
    body = _body(row.content)
    return FlowVersionRead(
        **_fields(body),
        id=flow.id,
        version=row.version,
        problems=validation.problems(body, await crews.latest_versions(session, ctx)),
        created_at=flow.created_at,
        updated_at=row.created_at,
        author_email=row.author_email,
    )


async def validate(
    session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID, draft: FlowCreate | None
) -> FlowValidationReport:
    """The problems of the stored flow, or of an unsaved draft of it when one is sent."""
    flow = await _versions(session, ctx).head(flow_id)
    body = draft if draft is not None else _body(flow.content)
    found = validation.problems(body, await crews.latest_versions(session, ctx))
    return FlowValidationReport(problems=found, inputs=[i.name for i in body.inputs])


async def export(
    session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID, fmt: FlowExportFormat
) -> ExportFile:
    """The flow as a crewai.flow/v1 file, each crew step's crew inline at its version."""
    body = _body((await _versions(session, ctx).head(flow_id)).content)
    documents = {
        step.key: await crews.document_at(session, ctx, step.crew_id, step.crew_version)
        for step in body.steps
        if step.kind == "crew" and step.crew_id is not None
    }
    return porting.export(body, documents, fmt)


async def snapshot_for_run(
    session: AsyncSession,
    ctx: GroupContext,
    flow_id: uuid.UUID,
    version: int | None = None,
    *,
    databricks_token: str | None = None,
) -> FlowSnapshot:
    """The flow as a run must see it: every crew step's crew checked as a crew run is.

    Raises InvalidInput `flow_invalid`, listing every problem (a crew's at its step's
    pointer), when any is an error."""
    versions = _versions(session, ctx)
    flow = await versions.head(flow_id)
    if version is None or version == flow.version:
        content, number = flow.content, flow.version
    else:
        content, number = (await versions.version(flow_id, version)).content, version
    body = _body(content)
    found = [
        p
        for p in validation.problems(body, await crews.latest_versions(session, ctx))
        if p.severity == "error"
    ]
    steps = []
    if not found:
        for index, step in enumerate(body.steps):
            steps.append(await _step(session, ctx, body, index, step, databricks_token, found))
    if found:
        raise InvalidInput(
            "flow_invalid",
            f"The flow cannot run: {len(found)} problem{'s' if len(found) != 1 else ''} "
            "to fix first.",
            [p.model_dump() for p in found],
        )
    return FlowSnapshot(
        flow_id=flow.id,
        name=body.name,
        version=number,
        spec=FlowSpec(
            name=body.name,
            steps=steps,
            edges=[FlowEdge.model_validate(e.model_dump()) for e in body.edges],
        ),
        inputs=[i.name for i in body.inputs if not i.default.strip()],
        default_inputs={i.name: i.default for i in body.inputs if i.default.strip()},
    )


async def _step(
    session: AsyncSession,
    ctx: GroupContext,
    body: FlowBody,
    index: int,
    step: FlowStepBody,
    databricks_token: str | None,
    found: list[Problem],
) -> FlowStep:
    fields: dict[str, Any] = {"key": step.key, "name": step.name, "kind": step.kind}
    if step.kind == "approval":
        question = f"Approve {step.name or step.key}?"
        fields |= {
            "approval": step.approval or ApprovalSettings(question=question),
            "review": step.review,
        }
    if step.kind != "crew" or step.crew_id is None:
        return FlowStep.model_validate(fields)
    at = f"/steps/{index}"
    try:
        snapshot = await crews.snapshot_for_run(
            session, ctx, step.crew_id, step.crew_version, databricks_token=databricks_token
        )
    except InvalidInput as exc:  # the crew's problems, at this step
        found.extend(
            Problem.model_validate({**d, "pointer": f"{at}/crew{d.get('pointer', '')}"})
            for d in exc.details
        )
        return FlowStep.model_validate(fields)
    declared = {i.name for i in body.inputs}
    inputs = dict(step.inputs)
    for name in snapshot.inputs:
        if name in inputs:
            continue
        if name in declared:  # a crew input named like a flow input takes it
            inputs[name] = f"${{inputs.{name}}}"
        elif name in snapshot.default_inputs:
            inputs[name] = snapshot.default_inputs[name]
        else:
            found.append(
                Problem(
                    pointer=f"{at}/inputs/{name}",
                    code="missing_crew_input",
                    message=f"The crew needs a value for {{{name}}}: map it from a flow "
                    "input or an earlier step's output.",
                    severity="error",
                )
            )
    return FlowStep.model_validate(
        fields
        | {
            "crew": snapshot.spec,
            "crew_id": str(step.crew_id),
            "crew_version": snapshot.version,
            "inputs": inputs,
        }
    )


# ---------------------------------------------------------------- writing


async def create(session: AsyncSession, ctx: GroupContext, body: FlowCreate) -> FlowRead:
    flow = await _versions(session, ctx).insert(_saved(body))
    await session.commit()
    return await _read(session, ctx, flow)


async def replace(
    session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID, body: FlowReplace
) -> FlowRead:
    return await _save(session, ctx, flow_id, body, body.version)


async def restore(
    session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID, version: int, body: BasedOn
) -> FlowRead:
    versions = _versions(session, ctx)
    flow = await versions.head(flow_id)
    old = _body((await versions.version(flow_id, version)).content)
    return await _save(session, ctx, flow_id, old, body.version or flow.version)


async def delete(session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID) -> None:
    versions = _versions(session, ctx)
    await versions.heads.delete(await versions.head(flow_id))
    await session.commit()


async def import_flow(
    session: AsyncSession,
    ctx: GroupContext,
    upload: ImportUpload,
    *,
    databricks_token: str | None = None,
) -> FlowImported:
    """A new flow, and a new crew for each of its inline crews, from a crewai.flow/v1
    file. Every problem is reported at once with its JSON pointer, and then nothing is
    saved; a name already taken gets a number, as for crews."""
    catalog = await crews.catalog_of(session, ctx, databricks_token)
    imported = porting.import_file(
        upload.filename,
        upload.data,
        crews.model_resolver(catalog.models),
        await llms.default_model(session, ctx.group_id, databricks_token),
        await crews.named_crews(session, ctx),
        await mcp.server_at_url(session, ctx),
    )
    crew_ids: dict[str, uuid.UUID] = {}
    created: dict[str, uuid.UUID] = {}  # the same inline crew twice is one crew
    for key, crew_body in imported.crews.items():
        same = crew_body.model_dump_json()
        if same not in created:
            created[same] = await crews.add_imported(session, ctx, crew_body)
        crew_ids[key] = created[same]
    steps = [
        s.model_copy(update={"crew_id": crew_ids[s.key]}) if s.key in crew_ids else s
        for s in imported.body.steps
    ]
    versions = _versions(session, ctx)
    name = await versions.free_name(imported.body.name)
    flow = await versions.insert(
        _saved(imported.body.model_copy(update={"name": name, "steps": steps}))
    )
    await session.commit()
    read = await _read(session, ctx, flow)
    return FlowImported(**read.model_dump(), crew_ids=list(created.values()), notes=imported.notes)


# ---------------------------------------------------------------- internals


async def _save(
    session: AsyncSession, ctx: GroupContext, flow_id: uuid.UUID, body: FlowBody, based_on: int
) -> FlowRead:
    versions = _versions(session, ctx)
    flow = await versions.head(flow_id)
    await versions.save(flow, _saved(body), based_on)
    await session.commit()
    await session.refresh(flow)
    return await _read(session, ctx, flow)


def _saved(body: FlowBody) -> Saved:
    content = body.model_dump(mode="json", include=set(FlowBody.model_fields))
    return Saved(name=body.name, description=body.description, content=content)


def _body(content: dict[str, Any]) -> FlowBody:
    try:
        return FlowBody.model_validate(content)
    except ValidationError as exc:
        raise StoredDataInvalid(f"A stored flow document does not validate: {exc}") from exc


def _fields(body: FlowBody) -> dict[str, Any]:
    return {name: getattr(body, name) for name in FlowBody.model_fields}


async def _read(session: AsyncSession, ctx: GroupContext, flow: Flow) -> FlowRead:
    body = _body(flow.content)
    return FlowRead(
        **_fields(body),
        id=flow.id,
        version=flow.version,
        problems=validation.problems(body, await crews.latest_versions(session, ctx)),
        created_at=flow.created_at,
        updated_at=flow.updated_at,
    )
