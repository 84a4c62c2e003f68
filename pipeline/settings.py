"""One typed Settings object, built once by the CLI and passed down.

Values come from, in order of precedence: command-line options, environment
variables ``REGWATCH_*``, a ``.env`` file in the working directory, defaults.
Each field carries its default and its help text together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline import __version__


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGWATCH_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Directory for the SQLite store, logs and archives.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store; default sqlite:///<data_dir>/regwatch.db. "
        "postgresql+psycopg://... for PostgreSQL.",
    )
    sources_file: Path = Field(Path("sources.yaml"), description="The sources file.")
    user_agent: str = Field(
        f"regwatch/{__version__} (+https://github.com/regwatch/regwatch; policy news monitor)",
        description="User-Agent sent with every request.",
    )
    connect_timeout: float = Field(10.0, description="Seconds to wait for a connection.")
    read_timeout: float = Field(30.0, description="Seconds to wait between bytes of a response.")
    max_response_bytes: int = Field(10 * 1024 * 1024, description="Largest response body read (decompressed).")
    max_redirects: int = Field(5, description="Redirects followed before giving up.")
    total_timeout: float = Field(
        60.0, description="Seconds one request may take in all, redirects and a slowly trickling body included."
    )
    host_concurrency: int = Field(
        1, ge=1, description="Requests in flight at once to one host, across all jobs (sources may set their own)."
    )
    host_rate: float = Field(
        1.0, gt=0, description="Requests per second started to one host, across all jobs (sources may set their own)."
    )
    allow_private: bool = Field(
        False, description="Fetch loopback/private addresses found inside feeds (sources may also allow it)."
    )
    max_items_per_feed: int = Field(200, description="Newest items taken from one feed per pass.")
    analyze_batch_size: int = Field(16, description="Articles per spaCy batch.")
    task_lease: float = Field(
        60.0, gt=0, description="Seconds a worker's claim on a task lasts unless renewed (renewed every third).")
    leader_check: float = Field(
        1.0, gt=0, description="Seconds between a standby scheduler's attempts to take the lead, and between "
        "the leader's checks that it still leads.")
    retry_after_failure: str = Field("5m", description="First retry delay for a failing source in `run`.")
    max_retry_interval: str = Field("6h", description="Ceiling of the retry delay for a failing source.")
    alerts_file: Path = Field(Path("alerts.yaml"), description="Watch rules and channels; missing means no alerts.")
    alert_max_attempts: int = Field(8, ge=1, description="Delivery attempts of one alert before it is dead.")
    alert_retry_base: float = Field(30.0, gt=0, description="Seconds before the first retry; doubles each time.")
    alert_retry_max: float = Field(3600.0, gt=0, description="Ceiling of the delay between delivery attempts.")
    alert_timeout: float = Field(10.0, gt=0, description="Seconds one alert delivery (HTTP or SMTP) may take.")
    smtp_host: str | None = Field(None, description="SMTP server for e-mail alerts.")
    smtp_port: int | None = Field(None, description="SMTP port (default 587, 465 with ssl, 25 with none).")
    smtp_user: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged).")
    smtp_from: str | None = Field(None, description="From address of e-mail alerts.")
    smtp_tls: Literal["starttls", "ssl", "none"] = Field("starttls", description="starttls, ssl or none.")
    smtp_ca_file: Path | None = Field(
        None, description="Extra CA certificates (PEM) to trust for the SMTP server, e.g. a company's own CA."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'regwatch.db').as_posix()}"
