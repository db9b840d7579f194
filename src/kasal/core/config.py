"""Settings: one object, read from `KASAL_*` environment variables (and `.env`)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

import limits
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kasal.core.dbpassword import PasswordSource, lakebase_token, password_file
from kasal.core.errors import ConfigError
from kasal.core.service_principal import ServicePrincipal


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every knob Kasal reads. Names are flat (`KASAL_PORT`), as operators type them."""

    model_config = SettingsConfigDict(
        env_prefix="KASAL_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Serving
    env: Literal["dev", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("data")
    database_url: str | None = None
    database_password_file: Path | None = Field(
        default=None,
        description="A file holding the database password, read for every new connection "
        "(a rotated password is picked up without a restart)",
    )
    cors_origins: CsvList = Field(default_factory=list)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    frontend_dir: Path | None = None
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Largest request body (crew import: own)"
    )
    attachments_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024,
        description="Largest request starting a run with attached files (all files together)",
    )
    rate_limit: str | None = Field(
        default="600/minute", description="Requests per credential or address; off: no limit"
    )

    # Databricks Apps: the platform sets these in the app's environment, unprefixed. The
    # app port means "running as an App": serve there, on every interface, with Databricks
    # auth (each unless set explicitly). A Lakebase database resource adds the PG* variables.
    databricks_app_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias="DATABRICKS_APP_PORT"
    )
    databricks_app_name: str | None = Field(default=None, validation_alias="DATABRICKS_APP_NAME")
    databricks_host: str | None = Field(default=None, validation_alias="DATABRICKS_HOST")
    # The app's service principal: work with no user present (schedules, triggers) acts as it.
    databricks_client_id: str | None = Field(default=None, validation_alias="DATABRICKS_CLIENT_ID")
    databricks_client_secret: SecretStr | None = Field(
        default=None, validation_alias="DATABRICKS_CLIENT_SECRET"
    )
    pghost: str | None = Field(default=None, validation_alias="PGHOST")
    pgport: int = Field(default=5432, validation_alias="PGPORT")
    pgdatabase: str | None = Field(default=None, validation_alias="PGDATABASE")
    pguser: str | None = Field(default=None, validation_alias="PGUSER")
    pgsslmode: str = Field(default="require", validation_alias="PGSSLMODE")

    # Auth
    auth_mode: Literal["local", "databricks"] = "local"
    jwt_secret: SecretStr | None = None
    access_token_ttl_s: int = Field(default=15 * 60, ge=30)
    refresh_token_ttl_s: int = Field(default=14 * 24 * 3600, ge=60)
    admin_email: str = "admin@kasal.local"
    admin_password: SecretStr | None = None
    admin_emails: CsvList = Field(default_factory=list)
    login_max_failures: int = Field(default=5, ge=1)
    login_ip_max_failures: int = Field(default=30, ge=1)
    login_window_s: int = Field(default=300, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=32)

    # Secrets: Fernet keys, first = primary; empty: a key file in the data dir (see core.crypto)
    secret_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)

    # Runs
    workers: int = Field(default=2, ge=0, description="Warm worker processes; 0 runs nothing")
    worker_concurrency: int = Field(default=8, ge=1, description="Runs at once per worker")
    run_timeout: float = Field(default=3600, gt=0, description="Seconds before a run is stopped")
    cancel_grace: float = Field(default=10, gt=0, description="Seconds a cancel may take")
    worker_heartbeat_timeout: float = Field(default=20, gt=0)
    lease_s: float = Field(default=30, gt=0, description="A run's claim without renewal")
    requeue_lost: bool = Field(default=False, description="Re-queue (once) runs a worker lost")
    queue: Literal["local", "procrastinate"] = Field(
        default="local",
        description="How runs reach workers: local (each process's dispatcher claims queued "
        "runs) or procrastinate (PostgreSQL: a job per run, `kasal worker` on any host, live "
        "events over LISTEN/NOTIFY)",
    )
    token_handoff_ttl_s: float = Field(
        default=600,
        gt=0,
        description="How long a queued run's Databricks token waits, encrypted in the database, "
        "for a worker to claim the run (procrastinate backend); older, the run fails",
    )
    tools_http_allow_private: bool = False
    tools_search_endpoints: dict[str, str] = Field(
        default_factory=dict,
        description='Search provider → API URL instead of its public one, as JSON: {"serper": …}',
    )
    tools_python: bool = Field(
        default=False, description="Offer the python tool: it runs agents' code on this host"
    )
    mcp_stdio_commands: CsvList = Field(
        default_factory=list,
        description="Executables stdio MCP servers may run on this host (exact match); none",
    )
    knowledge_max_upload_mb: int = Field(
        default=50, ge=1, le=4096, description="Largest file uploaded to a knowledge base (MiB)"
    )
    run_retention_s: float = Field(
        default=7 * 24 * 3600, gt=0, description="Seconds a finished run's folder is kept"
    )

    # Tracing to MLflow: groups opt in (docs/tracing.md); the operator says where to.
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="An http(s) MLflow tracking server, or databricks (the default in a "
        "Databricks App); none: tracing cannot be enabled",
    )
    mlflow_tracking_token: SecretStr | None = Field(
        default=None, description="Bearer token for an http(s) tracking server"
    )
    trace_export_interval_s: float = Field(
        default=5, gt=0, description="Seconds between looks for finished runs to export"
    )
    trace_export_attempts: int = Field(
        default=5, ge=1, description="Tries per run before its export is given up"
    )
    # Automations (docs/automation.md)
    scheduler_tick_s: float = Field(
        default=10, ge=0, description="Seconds between looks at due schedules; 0: fire none here"
    )
    schedule_misfire_grace_s: float = Field(
        default=120, gt=0, description="A fire this late was missed: run once or skipped"
    )
    trigger_rate_limit: str = Field(
        default="60/minute", description="Fires per trigger (per API process)"
    )
    approval_tick_s: float = Field(
        default=5,
        ge=0,
        description="Seconds between looks at approvals past their timeout; 0: none here",
    )
    webhook_poll_s: float = Field(
        default=2, ge=0, description="Seconds between looks at due deliveries; 0: send none here"
    )
    webhook_timeout_s: float = Field(default=10, gt=0, description="Seconds a delivery may take")
    webhook_max_attempts: int = Field(default=6, ge=1, description="Tries of one delivery")
    webhook_retry_base_s: float = Field(
        default=30, ge=0, description="First retry delay; doubled at each further try"
    )
    webhook_disable_after: int = Field(
        default=10, ge=1, description="Failed tries in a row that disable a webhook"
    )

    def __init__(self, **values: Any) -> None:
        """Settings that cannot work stop the process with a ConfigError naming the variable,
        rather than a pydantic dump an operator has to decode."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from exc

    @model_validator(mode="before")
    @classmethod
    def _csv_fields(cls, data: object) -> object:
        if isinstance(data, dict):
            for name in ("cors_origins", "admin_emails", "secret_keys", "mcp_stdio_commands"):
                if name in data:
                    data[name] = _split_csv(data[name])
        return data

    @field_validator("rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str | None) -> str | None:
        """Checked at load, so a typo fails the start rather than the first request."""
        if value is None or value.strip().lower() in ("", "off", "none"):
            return None
        limits.parse(value)
        return value

    @field_validator("trigger_rate_limit")
    @classmethod
    def _parse_trigger_rate_limit(cls, value: str) -> str:
        limits.parse(value)
        return value

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if "*" in self.cors_origins:
            raise ConfigError(
                "KASAL_CORS_ORIGINS=* is refused: the API allows credentials (cookies, "
                "Authorization), so every allowed origin must be named"
            )
        if self.queue == "procrastinate" and not self.db_url.startswith("postgresql"):
            raise ConfigError(
                "KASAL_QUEUE=procrastinate needs PostgreSQL: set KASAL_DATABASE_URL to a "
                "postgresql+psycopg:// URL"
            )
        if self.queue == "procrastinate" and (self.database_password_file or self.lakebase):
            raise ConfigError(
                "KASAL_QUEUE=procrastinate takes the database password from "
                "KASAL_DATABASE_URL: a password file or Lakebase's renewed token is not "
                "supported with it"
            )
        if self.env == "prod" and self.jwt_secret is None:
            raise ConfigError("KASAL_JWT_SECRET must be set when KASAL_ENV=prod")
        if self.jwt_secret is not None and len(self.jwt_secret.get_secret_value()) < 32:
            raise ConfigError("KASAL_JWT_SECRET must be at least 32 characters")
        return self

    @model_validator(mode="after")
    def _databricks_app(self) -> Settings:
        if self.databricks_app_port is None:
            return self
        given = self.model_fields_set
        if "port" not in given:
            self.port = self.databricks_app_port
        if "host" not in given:
            # The Apps proxy reaches the app over the container network, not loopback.
            self.host = "0.0.0.0"  # noqa: S104
        if "auth_mode" not in given:
            self.auth_mode = "databricks"
        return self

    @property
    def knowledge_max_upload_bytes(self) -> int:
        return self.knowledge_max_upload_mb * 1024 * 1024

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def is_databricks_app(self) -> bool:
        return self.databricks_app_port is not None

    @property
    def tracking_uri(self) -> str | None:
        """Where traces go: the configured server, else the workspace of the Databricks App."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return "databricks" if self.is_databricks_app else None

    @property
    def lakebase(self) -> bool:
        """A Lakebase database resource of a Databricks App, and no explicit database URL."""
        return (
            self.is_databricks_app
            and not self.database_url
            and bool(self.pghost and self.pgdatabase and self.pguser)
        )

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        if self.lakebase:
            user = quote(self.pguser or "", safe="")
            return (
                f"postgresql+psycopg://{user}@{self.pghost}:{self.pgport}/{self.pgdatabase}"
                f"?sslmode={self.pgsslmode}"
            )
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kasal.db').resolve()}"

    def db_password(self) -> PasswordSource | None:
        """Where new database connections take their password from, when not from the URL:
        the password file, or on Lakebase an OAuth token of the app's identity."""
        if self.database_password_file is not None:
            return password_file(self.database_password_file)
        if self.lakebase:
            return lakebase_token(self.databricks_host)
        return None

    @cached_property
    def service_principal(self) -> ServicePrincipal | None:
        """The app's identity for work with no user present, when the workspace and the
        principal's credentials are all set (the platform sets them in an App)."""
        host, client_id, secret = (
            self.databricks_host,
            self.databricks_client_id,
            self.databricks_client_secret,
        )
        if not (host and client_id and secret):
            return None
        return ServicePrincipal(host, client_id, secret.get_secret_value())

    @cached_property
    def jwt_key(self) -> str:
        """The configured secret, or in dev mode one generated once and kept in the data dir."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return _read_or_create_secret(self.data_dir / "jwt_secret")


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ConfigError):
            problems.append(str(cause))
        else:
            field = str(error["loc"][0]).upper() if error["loc"] else ""
            problems.append(f"KASAL_{field}: {error['msg']}" if field else error["msg"])
    return "; ".join(problems)


def _read_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    with path.open("x") as handle:  # "x": never clobber a key another process just wrote
        path.chmod(0o600)
        handle.write(value)
    return value
