"""Settings, from environment variables prefixed OPENCUSTOMS_ (or a .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opencustoms.certificates.lifecycle import DEFAULT_NUMBER_FORMAT, check_number_format
from opencustoms.kernel.dates import zone
from opencustoms.kernel.errors import DomainError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENCUSTOMS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="where the embedded database lives")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: an SQLite file in data_dir",
    )
    office_timezone: str = Field(default="Asia/Seoul", description="shown times and legal dates")
    locale: str | None = Field(default=None, description="language of the command line: en or ko")
    host: str = "127.0.0.1"
    port: int = 8000
    key_passphrase: SecretStr | None = Field(
        default=None, description="encrypts the authority's private signing keys at rest"
    )
    certificate_number_format: str = Field(
        default=DEFAULT_NUMBER_FORMAT,
        description="certificate numbers: {authority}, {year} and {seq} (e.g. {seq:06d})",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="this node's public address, printed in certificates' QR codes",
    )
    node_id: str | None = Field(
        default=None,
        description="this node's id in the origin data exchange (e.g. KR-NODE); unset: no "
        "messages are sent to partner nodes",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$",
    )
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("office_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("certificate_number_format")
    @classmethod
    def _number_format(cls, value: str) -> str:
        try:
            check_number_format(value)
        except DomainError as e:
            raise ValueError(e.findings[0].render()) from None
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'opencustoms.db').as_posix()}"
