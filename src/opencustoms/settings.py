"""Settings, from environment variables prefixed OPENCUSTOMS_ (or a .env file)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from opencustoms.certificates.lifecycle import DEFAULT_NUMBER_FORMAT, check_number_format
from opencustoms.i18n import _
from opencustoms.kernel.dates import zone
from opencustoms.kernel.errors import DomainError

CONFIG_VARIABLE = "OPENCUSTOMS_CONFIG"  # a node's settings file (TOML), e.g. node.toml


class Settings(BaseSettings):
    """A node's settings: from its TOML file (OPENCUSTOMS_CONFIG, or `node serve --config`),
    overridden by environment variables prefixed OPENCUSTOMS_ and a .env file. Secrets
    (the key passphrase) belong in the environment, not in the file."""

    model_config = SettingsConfigDict(env_prefix="OPENCUSTOMS_", env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = os.environ.get(CONFIG_VARIABLE)
        files = (TomlConfigSettingsSource(settings_cls, Path(config)),) if config else ()
        return (init_settings, env_settings, dotenv_settings, *files, file_secret_settings)

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
    clock_offset_seconds: int = Field(
        default=0,
        description="shifts this node's clock (drills and tests: deadlines reached without "
        "waiting); 0 in production",
        ge=-10 * 365 * 86400,
        le=10 * 365 * 86400,
    )
    delivery_max_attempts: int = Field(
        default=30,
        description="attempts to deliver a message to a partner node before it is dead-lettered",
        ge=1,
        le=1000,
    )
    delivery_lease_seconds: int = Field(
        default=30,
        description="how long a worker holds a message it is delivering; a worker that dies "
        "mid-delivery delays its messages this long",
        ge=5,
        le=3600,
    )
    tariff_schedule: Path | None = Field(
        default=None,
        description="a tariff schedule CSV to assess with; unset: the schedule shipped "
        "(derived from the customs declarations dataset)",
    )
    exchange_rates: Path | None = Field(
        default=None,
        description="the customs exchange rates CSV (valid_from,from_currency,to_currency,"
        "rate); unset: only amounts in the national currency are assessed",
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


def check_config_file(path: Path) -> list[str]:
    """What is wrong with a node's settings file, each with where: unreadable, not TOML,
    a setting that does not exist (a typo would otherwise be ignored), or a secret."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        return [
            _("%(path)s: cannot be read (%(reason)s)") % {"path": path, "reason": type(e).__name__}
        ]
    except tomllib.TOMLDecodeError as e:
        return [_("%(path)s: not TOML: %(reason)s") % {"path": path, "reason": e}]
    known = set(Settings.model_fields)
    problems = [
        _("%(path)s: %(name)s is not a setting") % {"path": path, "name": name}
        for name in sorted(set(data) - known)
    ]
    if "key_passphrase" in data:
        problems.append(
            _("%(path)s: key_passphrase belongs in OPENCUSTOMS_KEY_PASSPHRASE, not in a file")
            % {"path": path}
        )
    return problems
