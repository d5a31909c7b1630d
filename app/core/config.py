"""Settings from the environment (and `.env`), with unsafe defaults refused outside development."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = ""
    data_dir: Path = PROJECT_ROOT / "data"
    secret_key: str = DEV_SECRET
    frameworks_dir: Path = PROJECT_ROOT / "frameworks"
    report_templates_dir: Path = PROJECT_ROOT / "report_templates"
    # Extra report template sets: a folder whose sub-folders are template sets.
    extra_report_templates_dir: Path | None = None
    max_request_bytes: int = 25 * 1024 * 1024
    max_attachment_bytes: int = 20 * 1024 * 1024
    # How far an uploaded ZIP-based file (XLSX, DOCX...) may unpack before it is refused unread.
    max_unzipped_bytes: int = 50 * 1024 * 1024
    max_zip_members: int = 2000
    max_zip_ratio: int = 100
    access_token_minutes: int = 8 * 60
    session_minutes: int = 12 * 60
    report_timeout_seconds: int = 300
    # Cookies get the Secure flag when the app is served over https (set behind a TLS proxy).
    force_https_cookies: bool = False
    login_delay_after_failures: int = 3
    # Where `sysreview serve` (and so `make run` and the container) listens; also used in hints.
    host: str = "127.0.0.1"
    port: int = 8000
    # Failed sign-ins before a lockout: per account, and per client address (higher, since an
    # office behind one address shares it). The first lockout lasts `sign_in_lockout_seconds`,
    # each one after it twice as long, up to `sign_in_lockout_max_seconds`.
    sign_in_failures_per_account: int = 5
    sign_in_failures_per_client: int = 20
    sign_in_lockout_seconds: int = 60
    sign_in_lockout_max_seconds: int = 24 * 60 * 60
    # Proxies whose X-Forwarded-For names the real client: addresses or networks, comma-separated.
    trusted_proxies: str = ""
    # Unset: required in production only, so the `make run` demo signs in with a password alone.
    require_two_factor_for_admins: bool | None = None

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.environment == "production" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "SECRET_KEY must be set to a random string of 32 characters or more in production"
            )
        return self

    @property
    def two_factor_for_admins(self) -> bool:
        """Whether administrators must sign in with a second factor."""
        if self.require_two_factor_for_admins is not None:
            return self.require_two_factor_for_admins
        return self.environment == "production"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sysreview.db'}"

    @property
    def served_url(self) -> str:
        """The address people open, for hints such as the demo's sign-in line."""
        # Listening on every interface is reached on this machine as localhost.
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_problem(exc: ValidationError) -> str:
    """A settings error as one line naming the environment variables, for the command line."""
    problems = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        names = [str(part).upper() for part in error.get("loc", ())]
        problems.append(f"{'.'.join(names)}: {message}" if names else message)
    return "settings: " + "; ".join(problems)
