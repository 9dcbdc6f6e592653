"""The composition root: builds every service from settings, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from opencustoms.accounts.service import AccountsService
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.service import CertificateService
from opencustoms.exchange.publish import OutboxPublisher
from opencustoms.exchange.registry import PartnerRegistry
from opencustoms.kernel.dates import Clock, SystemClock, zone
from opencustoms.kernel.nomenclature import Nomenclature
from opencustoms.origin.agreements import AgreementCatalogue
from opencustoms.origin.history import DeterminationHistory
from opencustoms.reference.hs import hs2022
from opencustoms.settings import Settings
from opencustoms.store.db import make_engine
from opencustoms.store.repositories import uow_factory
from opencustoms.trust.service import AuthorityKeys


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Clock
    office_zone: ZoneInfo
    hs: Nomenclature
    accounts: AccountsService
    origin: AgreementCatalogue
    determinations: DeterminationHistory
    keys: AuthorityKeys
    certificates: CertificateService
    partners: PartnerRegistry

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings | None = None, clock: Clock | None = None) -> Services:
    settings = settings or Settings()
    engine = make_engine(settings.effective_database_url)
    clock = clock or SystemClock()
    uow = uow_factory(engine)
    origin = AgreementCatalogue(imported_uk_folder(settings), correspondence_file(settings))
    keys = AuthorityKeys(uow, clock, settings.data_dir / "keys")
    office_zone = zone(settings.office_timezone)

    forms = shipped_forms()

    def agreements() -> set[str]:
        """The agreements this node knows: those with rules or a profile, and the forms'."""
        return {a.id for a in origin.agreements()} | {f.agreement for f in forms.values()}

    def passphrase() -> str | None:
        secret = settings.key_passphrase
        return secret.get_secret_value() if secret else None

    return Services(
        settings=settings,
        engine=engine,
        clock=clock,
        office_zone=office_zone,
        hs=hs2022(),
        accounts=AccountsService(uow, clock),
        origin=origin,
        determinations=DeterminationHistory(uow, clock, origin),
        keys=keys,
        certificates=CertificateService(
            uow,
            clock,
            forms,
            keys.private_pem,
            passphrase,
            office_zone,
            settings.certificate_number_format,
            settings.public_url,
            OutboxPublisher(settings.node_id),
        ),
        partners=PartnerRegistry(uow, clock, agreements),
    )


def imported_uk_folder(settings: Settings) -> Path:
    """Where `opencustoms origin import-uk` installs a newer UK folder."""
    return settings.data_dir / "origin" / "uk"


def correspondence_file(settings: Settings) -> Path:
    """Where `opencustoms hs import-correspondence` installs an HS correspondence table."""
    return settings.data_dir / "hs" / "correspondence.csv"
