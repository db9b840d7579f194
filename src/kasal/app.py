"""The application factory: settings in, a FastAPI app out."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal import __version__, health, seeds
from kasal.agents.router import router as agents_router
from kasal.approvals import service as approvals
from kasal.approvals.router import router as approvals_router
from kasal.approvals.timeouts import timeouts
from kasal.auth import service as auth
from kasal.auth.cache import AuthCache
from kasal.auth.ratelimit import LoginLimiter
from kasal.auth.router import groups_router, users_router
from kasal.auth.router import router as auth_router
from kasal.chats.router import router as chats_router
from kasal.connections.router import router as connections_router
from kasal.core import crypto, migrate, openapi
from kasal.core.config import Settings
from kasal.core.db import create_engine, create_sessionmaker
from kasal.core.http import (
    RequestGuardMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    install_error_handlers,
)
from kasal.core.logging import configure_logging
from kasal.core.periodic import Periodic
from kasal.core.throttle import RateLimitMiddleware
from kasal.crews.deps import MAX_IMPORT_REQUEST_BYTES
from kasal.crews.router import router as crews_router
from kasal.engine.paths import private_dir
from kasal.executions import log as event_log
from kasal.executions import ws
from kasal.executions.dispatcher import Dispatcher
from kasal.executions.queue import JobQueue, QueuedRuns
from kasal.executions.router import router as executions_router
from kasal.flows.router import router as flows_router
from kasal.generate.router import router as generate_router
from kasal.knowledge.ingestion import Ingestion
from kasal.knowledge.router import router as knowledge_router
from kasal.llms.router import router as models_router
from kasal.mcp.router import router as mcp_router
from kasal.memory.router import router as memory_router
from kasal.openapi.router import router as openapi_sources_router
from kasal.realtime.bus import EventBus
from kasal.realtime.postgres import PostgresBus
from kasal.schedules.router import router as schedules_router
from kasal.schedules.scheduler import scheduler
from kasal.secrets.router import router as api_keys_router
from kasal.tasks.router import router as tasks_router
from kasal.templates.router import router as templates_router
from kasal.tools.router import router as tools_router
from kasal.tracing.exporter import TraceExporter
from kasal.tracing.router import router as tracing_router
from kasal.triggers.router import router as triggers_router
from kasal.triggers.service import FireLimiter
from kasal.web import mount_web_app
from kasal.webhooks.delivery import sender
from kasal.webhooks.router import router as webhooks_router

log = logging.getLogger(__name__)

DOCS_PATH = "/api/docs"
MULTIPART_OVERHEAD = 64 * 1024  # an upload's form fields and boundaries, beyond the file


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    for router in (
        auth_router,
        users_router,
        groups_router,
        models_router,
        api_keys_router,
        connections_router,
        tools_router,
        openapi_sources_router,
        mcp_router,
        knowledge_router,
        agents_router,
        tasks_router,
        crews_router,
        flows_router,
        generate_router,
        templates_router,
        executions_router,
        approvals_router,
        tracing_router,
        chats_router,
        memory_router,
        schedules_router,
        triggers_router,
        webhooks_router,
    ):
        api.include_router(router)
    return api


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    private_dir(settings.data_dir)
    previous_box = crypto.install(crypto.SecretBox.from_settings(settings))
    password = settings.db_password()
    await migrate.upgrade_on_start(settings.db_url, password)
    engine = create_engine(settings.db_url, password)
    app.state.engine = engine
    app.state.auth_cache = auth_cache = AuthCache()
    app.state.sessionmaker = create_sessionmaker(engine, auth_cache.session_info())
    async with app.state.sessionmaker() as session:
        generated = await auth.ensure_admin(session, settings)
        await seeds.run_all(session, settings)
    if generated:
        _announce_admin(settings.admin_email, generated)
    app.state.bus = _bus(settings, app.state.sessionmaker, listen=True)
    await app.state.bus.start()
    auth_listener = auth_cache.share(app.state.bus)
    queue = JobQueue(settings.db_url) if settings.queue == "procrastinate" else None
    app.state.ingestion = Ingestion(settings, app.state.sessionmaker)
    await app.state.ingestion.start()
    app.state.dispatcher = None
    if settings.workers > 0:
        app.state.dispatcher = Dispatcher(
            settings, app.state.sessionmaker, app.state.bus, queue=queue, pauses=approvals.PENDING
        )
        await app.state.dispatcher.start()
    elif queue is not None:
        app.state.dispatcher = QueuedRuns(queue, settings.token_handoff_ttl_s)
    loops = []
    app.state.trace_exporter = None
    if settings.tracking_uri is not None:
        exporter = app.state.trace_exporter = TraceExporter(settings, app.state.sessionmaker)
        interval = settings.trace_export_interval_s
        loops.append(Periodic("trace-export", interval, exporter.run_once))
    if settings.scheduler_tick_s > 0:
        bus, runs = app.state.bus, app.state.dispatcher
        loops.append(scheduler(settings, app.state.sessionmaker, bus, runs))
    if settings.webhook_poll_s > 0:
        loops.append(sender(settings, app.state.sessionmaker))
    if settings.approval_tick_s > 0:
        runs = app.state.dispatcher
        loops.append(timeouts(settings, app.state.sessionmaker, app.state.bus, runs))
    for loop in loops:
        loop.start()
    try:
        yield
    finally:
        for loop in loops:
            await loop.stop()
        if isinstance(app.state.dispatcher, Dispatcher):
            await app.state.dispatcher.stop()
        await app.state.ingestion.stop()
        await auth_cache.unshare(auth_listener)
        await app.state.bus.close()
        await engine.dispose()
        crypto.install(previous_box)


def _bus(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], *, listen: bool
) -> EventBus:
    """One process's bus; across processes (the procrastinate backend) over PostgreSQL."""
    if settings.queue == "procrastinate":
        return PostgresBus(settings.db_url, event_log.reader(sessions), listen=listen)
    return EventBus()


async def run_workers(settings: Settings) -> None:
    """`kasal worker`: warm worker processes taking runs from the procrastinate queue, and
    no HTTP server, until SIGTERM or SIGINT. Its events reach the API processes through
    the database (the event log, and LISTEN/NOTIFY)."""
    private_dir(settings.data_dir)
    previous_box = crypto.install(crypto.SecretBox.from_settings(settings))
    password = settings.db_password()
    await migrate.upgrade_on_start(settings.db_url, password)
    engine = create_engine(settings.db_url, password)
    sessions = create_sessionmaker(engine)
    bus = _bus(settings, sessions, listen=False)
    dispatcher = Dispatcher(
        settings, sessions, bus, queue=JobQueue(settings.db_url), pauses=approvals.PENDING
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await bus.start()
        await dispatcher.start()
        log.info(
            "kasal worker %s: %d worker processes x %d runs at once",
            dispatcher.runner_id,
            settings.workers,
            settings.worker_concurrency,
        )
        await stop.wait()
    finally:
        await dispatcher.stop()
        await bus.close()
        await engine.dispose()
        crypto.install(previous_box)


def _announce_admin(email: str, password: str) -> None:
    """Straight to the console, never to the log: log lines get shipped and stored."""
    sys.stderr.write(
        "\n  Kasal created the first administrator. This password is shown only once:\n"
        f"    email:    {email}\n    password: {password}\n\n"
    )
    sys.stderr.flush()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    # FastAPIOffline serves Swagger UI's files from this package: the docs work offline and
    # under the content security policy, which allows no CDN.
    app = FastAPIOffline(
        title="Kasal",
        version=__version__,
        summary="Design, run and watch teams of AI agents.",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=DOCS_PATH,
        redoc_url=None,
        generate_unique_id_function=openapi.operation_id,
        static_url=f"{DOCS_PATH}/static",
        swagger_ui_oauth2_redirect_url=f"{DOCS_PATH}/oauth2-redirect",
        swagger_ui_parameters={"validatorUrl": None},  # it would send the document away
    )
    app.state.settings = settings
    app.state.pauses = approvals.PENDING  # what a cancelled waiting run closes
    app.state.login_limiter = LoginLimiter(
        settings.login_max_failures, settings.login_ip_max_failures, settings.login_window_s
    )
    app.state.trigger_limiter = FireLimiter(settings.trigger_rate_limit)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(api_router())
    app.include_router(ws.router)
    openapi.install(app)
    mount_web_app(app, settings.frontend_dir or migrate.PROJECT_ROOT / "frontend" / "dist")
    _add_middleware(app, settings)
    return app


def _path_of(app: FastAPI, name: str, *params: str) -> str:
    """The path template of the route called `name`: each parameter stands for itself
    (`/api/v1/knowledge/{base_id}/files`)."""
    return str(app.url_path_for(name, **{param: f"{{{param}}}" for param in params}))


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost last. Security headers wrap everything, errors included; CORS headers reach
    every answer a browser must read; the request id covers the 500s; a throttled client's
    body is never read; the body guard is the last step before the routes."""
    route_limits = {
        _path_of(app, "import_crew"): MAX_IMPORT_REQUEST_BYTES,
        _path_of(app, "start_execution_with_files"): settings.attachments_max_bytes,
        _path_of(app, "upload_knowledge_file", "base_id"): (
            settings.knowledge_max_upload_bytes + MULTIPART_OVERHEAD
        ),
    }
    app.add_middleware(
        RequestGuardMiddleware, max_bytes=settings.max_body_bytes, route_limits=route_limits
    )
    if settings.rate_limit is not None:
        app.add_middleware(
            RateLimitMiddleware,
            limit=settings.rate_limit,
            trust_forwarded_email=settings.auth_mode == "databricks",
        )
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(SecurityHeadersMiddleware, docs_path=DOCS_PATH)
