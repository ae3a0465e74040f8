"""Settings: one object, read once from ``TOLLGATE_*`` environment variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """The platform's per-user data folder (``~/.local/share/tollgate`` on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("tollgate", appauthor=False)


class Mode(StrEnum):
    SANDBOX = "sandbox"
    LIVE = "live"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOLLGATE_", extra="ignore")

    # The data home: the default database, file store, key file and bootstrap credentials live here, so
    # a command finds the same server whatever the current folder (`make run` sets ./var).
    home: Path = Field(default_factory=default_home)
    # Empty: the SQLite file ``tollgate.db`` in the data home.
    database_url: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    mode: Mode = Mode.SANDBOX
    host: str = "127.0.0.1"
    port: int = 8000

    access_token_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    # How stale a process's cached view of clients and login families may be: a revocation (refresh-token
    # reuse, secret rotation, a disabled client) stops the tokens it revokes on every process within this
    # many milliseconds of its commit (docs/adr/0014). 0: read them on every request.
    auth_cache_ms: int = Field(default=1000, ge=0, le=60_000)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    # A refresh-token family can be rotated, but never beyond this age from the first login.
    refresh_family_max_age_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    # Keys kept outside the database (docs/security.md). HS256 key for access tokens and the pepper of
    # client-secret hashes: from here or the key file; sandbox mode generates them (stored sealed) when
    # absent, live mode refuses to start without them.
    signing_key: str | None = None
    secret_pepper: str | None = None
    # The data keyring (a JSON document, see `tollgate keys init`), or the key file that holds it.
    keys: str | None = None
    key_file: str | None = None
    jwt_audience: str = "tollgate-api"

    # Uploaded files: a local directory unless an S3 bucket is configured.
    # Empty: ``files`` in the data home.
    storage_dir: str = ""
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = ""
    # The largest request body, in bytes, of every endpoint but the upload (whose limit follows from the
    # upload limits below); larger bodies are refused (413) before they are read (guard.py).
    request_max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # Rate limits (ratelimit.py), per minute, shared by every process through the database: requests of one
    # API client; token requests per address and per client id; operator sign-ins per address. None: on in
    # live mode, off in sandbox mode (where an integrator's test suite logs in once per test).
    rate_limits: bool | None = None
    rate_limit_api_per_minute: int = Field(default=3000, ge=1)
    rate_limit_token_per_minute: int = Field(default=60, ge=1)
    rate_limit_token_per_address_per_minute: int = Field(default=600, ge=1)
    rate_limit_login_per_minute: int = Field(default=20, ge=1)
    rate_limit_sync_seconds: float = Field(default=0.25, ge=0)
    # Upload limits.
    upload_max_file_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    upload_max_files: int = Field(default=20, gt=0)
    # Text fields of an upload (``customer_id``): how many, and how long each.
    upload_max_fields: int = Field(default=5, gt=0)
    upload_max_field_bytes: int = Field(default=4096, gt=0)
    upload_max_pixels: int = Field(default=50_000_000, gt=0)
    upload_max_pdf_pages: int = Field(default=50, gt=0)
    # Uploads decoded (inspected) at once per server process, in threads apart from the request threads.
    upload_inspection_threads: int = Field(default=2, ge=1, le=64)
    # Files decoded at once per process (uploads and the checks of files stored without findings), on
    # threads whose CPU priority is lowered by ``decode_nice`` steps (documents/decoder.py).
    decode_threads: int = Field(default=1, ge=1, le=64)
    decode_nice: int = Field(default=10, ge=0, le=19)
    # Each PDF is parsed in a child process with these bounds (documents/isolation.py).
    upload_parse_cpu_seconds: int = Field(default=5, ge=1)
    upload_parse_memory_bytes: int = Field(default=1024 * 1024 * 1024, ge=64 * 1024 * 1024)
    upload_parse_seconds: float = Field(default=15.0, gt=0)
    # Automated checks.
    min_image_short_side: int = Field(default=600, ge=0)
    # None: on in sandbox mode, off in live mode (per-client settings override).
    auto_approve: bool | None = None
    tos_text: str = (
        "By accepting, you agree that the information and documents you provide are true and complete, "
        "that they may be used to verify your identity and, for a business, its owners and directors, "
        "and that you will tell us when they change."
    )
    # Run a job worker inside `tollgate serve`.
    serve_worker: bool = True

    # Database pool sizing (ignored for SQLite).
    db_pool_size: int = 10
    db_max_overflow: int = 10
    # Requests whose database work runs at once in a server process (the thread pool's size). The GIL
    # runs one at a time anyway: more threads only trade the CPU back and forth (docs/benchmarks.md).
    request_threads: int = Field(default=4, ge=1, le=256)

    # Jobs (docs/adr/0005-jobs-in-the-database.md): a worker's lease on the job it runs, renewed every
    # third of it while the handler runs; a job whose worker dies is taken over once its lease runs out.
    job_lease_seconds: float = Field(default=60.0, gt=0)
    # The checks of one attach batch (decoding what was stored without findings, then the decision):
    # past this an attempt fails, its writes roll back, and it is retried (jobs' attempts apply).
    checks_deadline_seconds: float = Field(default=300.0, gt=0)

    # Hosts (names, addresses or networks, comma-separated) that sandbox mode lets receive webhooks although
    # their addresses are private or special-purpose (webhooks/urls.py); loopback needs no entry.
    webhook_allowed_hosts: str = ""
    # Webhooks (docs/webhooks.md): the total time one attempt may take (connect, send and the whole
    # answer), and the delays in seconds between attempts, one list per mode; each delay is stretched or
    # shrunk at random by up to ``webhook_retry_jitter``.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # An attempt's lease (``in_flight_until``) lasts the timeout plus this margin, so an attempt always
    # ends before another worker may take its delivery over: one event never has two attempts in flight.
    webhook_lease_margin_seconds: float = Field(default=30.0, gt=0)
    webhook_retry_schedule_live: list[float] = [30, 120, 600, 1800, 3600, 10800, 21600, 43200, 86400, 86400]
    webhook_retry_schedule_sandbox: list[float] = [5, 15, 30, 60, 120, 300]
    webhook_retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    # The longest Retry-After (429 / 503) honoured as given; longer ones are cut to this.
    webhook_max_retry_after_seconds: float = Field(default=24 * 3600, gt=0)
    # How long the previous secret keeps signing after a rotation, unless the rotation says otherwise.
    webhook_secret_grace_seconds: int = Field(default=24 * 3600, ge=0)

    # Reviewer console (docs/console.md).
    # A session ends after this long without a request, and in any case after the maximum age.
    console_idle_timeout_seconds: int = Field(default=30 * 60, gt=0)
    console_session_max_seconds: int = Field(default=12 * 3600, gt=0)
    # Failed sign-ins in a row before an account is locked, and for how long (an admin can unlock it).
    console_login_max_failures: int = Field(default=5, ge=1)
    console_lockout_seconds: int = Field(default=15 * 60, gt=0)
    # None: by mode (required and on in live mode, off in sandbox mode).
    console_require_totp: bool | None = None
    console_four_eyes: bool | None = None
    # How long a case may wait for a person before the queue marks it overdue.
    console_sla_hours: float = Field(default=24.0, gt=0)

    @model_validator(mode="after")
    def _paths_in_the_home(self) -> Settings:
        self.home = self.home.expanduser()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'tollgate.db'}"
        if not self.storage_dir:
            self.storage_dir = str(self.home / "files")
        return self

    @model_validator(mode="after")
    def _attempts_end_within_their_leases(self) -> Settings:
        if self.webhook_timeout_seconds >= self.job_lease_seconds:
            raise ValueError(
                "TOLLGATE_WEBHOOK_TIMEOUT_SECONDS must be shorter than TOLLGATE_JOB_LEASE_SECONDS, so a "
                "webhook attempt ends before the job that makes it could be taken over"
            )
        return self

    @property
    def jwt_issuer(self) -> str:
        return self.public_base_url.rstrip("/")

    @property
    def sandbox(self) -> bool:
        return self.mode is Mode.SANDBOX

    @property
    def rate_limits_on(self) -> bool:
        return self.rate_limits if self.rate_limits is not None else self.mode is Mode.LIVE

    @property
    def require_totp(self) -> bool:
        return self.console_require_totp if self.console_require_totp is not None else not self.sandbox

    @property
    def four_eyes(self) -> bool:
        return self.console_four_eyes if self.console_four_eyes is not None else not self.sandbox


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
