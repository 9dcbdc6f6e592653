"""The composition root: builds every service from settings, in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from sqlalchemy import Engine

from opencustoms.accounts.service import OPERATOR, AccountsService
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.service import CertificateService
from opencustoms.certificates.signed import Verdict
from opencustoms.clearance.data import (
    file_version,
    shipped_rate_types,
    shipped_schedule,
    shipped_tax_rules,
)
from opencustoms.clearance.payments import Settlements
from opencustoms.clearance.service import ClearanceService, Tariff
from opencustoms.clearance.tariff import parse_schedule
from opencustoms.exchange.delivery import RetryPolicy
from opencustoms.exchange.node import NodeSigner
from opencustoms.exchange.publish import OutboxPublisher
from opencustoms.exchange.receiving import Receiver
from opencustoms.exchange.registry import PartnerRegistry
from opencustoms.exchange.service import ExchangeService
from opencustoms.exchange.worker import DeliveryWorker
from opencustoms.kernel.correspondence import CorrespondenceTable
from opencustoms.kernel.dates import Clock, ShiftedClock, SystemClock, zone
from opencustoms.kernel.errors import N_, DomainError, Finding
from opencustoms.kernel.exchange import ExchangeRateTable, parse_rates
from opencustoms.kernel.nomenclature import Nomenclature
from opencustoms.origin.agreements import AgreementCatalogue
from opencustoms.origin.history import DeterminationHistory
from opencustoms.reference.hs import hs2022
from opencustoms.settings import Settings
from opencustoms.store.db import make_engine
from opencustoms.store.repositories import SqlUnitOfWork, outbox_waiter, uow_factory
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
    receiver: Receiver
    exchange: ExchangeService
    signer: NodeSigner | None  # None: the node has no id, and sends nothing
    retry: RetryPolicy
    clearance: ClearanceService
    settlements: Settlements
    uow: Callable[[], SqlUnitOfWork]

    def delivery_worker(self, client: httpx2.Client) -> DeliveryWorker:
        """The worker that delivers this node's outbox to its partners over `client`."""
        if self.signer is None:
            raise DomainError(
                Finding(
                    "exchange.not_a_node",
                    N_("This node has no node id (OPENCUSTOMS_NODE_ID): it exchanges with no one."),
                )
            )
        return DeliveryWorker(
            self.uow,
            self.clock,
            self.signer,
            client,
            self.retry,
            lease=timedelta(seconds=self.settings.delivery_lease_seconds),
            tick=self.tick,
            wait=outbox_waiter(self.engine),
        )

    def tick(self) -> None:
        """The node's timers: the exchange's, then answers to verification requests applied
        to the declarations whose preferences rest on those certificates."""
        self.exchange.tick()
        self.clearance.apply_verifications(OPERATOR)

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings | None = None, clock: Clock | None = None) -> Services:
    settings = settings or Settings()
    engine = make_engine(settings.effective_database_url)
    clock = clock or SystemClock()
    if settings.clock_offset_seconds:
        clock = ShiftedClock(clock, timedelta(seconds=settings.clock_offset_seconds))
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

    certificates = CertificateService(
        uow,
        clock,
        forms,
        keys.private_pem,
        passphrase,
        office_zone,
        settings.certificate_number_format,
        settings.public_url,
        OutboxPublisher(settings.node_id),
    )
    exchange = ExchangeService(uow, clock, settings.node_id, forms, office_zone)
    clearance = ClearanceService(
        uow,
        clock,
        lambda: load_tariff(settings),
        office_zone,
        OriginLink(certificates, exchange, origin, forms),
    )
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
        certificates=certificates,
        partners=PartnerRegistry(uow, clock, agreements),
        receiver=Receiver(uow, clock, settings.node_id, forms, office_zone, certificates),
        exchange=exchange,
        signer=(
            NodeSigner(settings.node_id, keys, clock, passphrase) if settings.node_id else None
        ),
        retry=RetryPolicy(max_attempts=settings.delivery_max_attempts),
        clearance=clearance,
        settlements=Settlements(uow, clock, clearance),
        uow=uow,
    )


class OriginLink:
    """The preference check's view of the certificates received and of the exchange."""

    def __init__(
        self,
        certificates: CertificateService,
        exchange: ExchangeService,
        origin: AgreementCatalogue,
        forms: Mapping[str, Any],
    ) -> None:
        self._certificates = certificates
        self._exchange = exchange
        self._origin = origin
        self._forms = forms

    def verify(self, document: Any, at: date) -> Verdict:
        return self._certificates.verify(document, at)

    def agreement_of(self, form: str) -> str | None:
        profile = self._forms.get(form)
        return str(profile.agreement) if profile is not None else None

    def correspondence(self) -> CorrespondenceTable | None:
        return self._origin.correspondence

    def linked(self, uow: Any, country: str, agreement: str) -> bool:
        return self._exchange.linked(uow, country, agreement)

    def notify(
        self,
        uow: Any,
        authority: str,
        number: str,
        applied: bool,
        declaration: str,
        on: date,
        reason: str | None,
    ) -> None:
        outcome = "applied" if applied else "denied"
        self._exchange.utilization_in(uow, authority, number, outcome, declaration, on, reason)


def load_tariff(settings: Settings) -> Tariff:
    """The tariff an assessment uses: the configured schedule and rates, or those shipped."""
    schedule = shipped_schedule()
    if settings.tariff_schedule is not None:
        path = settings.tariff_schedule
        text = _setting_file(path, "tariff_schedule")
        schedule = parse_schedule(text, path.name, path.name, file_version(text))
    rates = ExchangeRateTable([])
    if settings.exchange_rates is not None:
        path = settings.exchange_rates
        rates = parse_rates(_setting_file(path, "exchange_rates"), path.name)
    return Tariff(shipped_rate_types(), schedule, shipped_tax_rules(), rates)


def _setting_file(path: Path, setting: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DomainError(
            Finding(
                "settings.unreadable_file",
                N_("The file of setting %(setting)s, %(path)s, cannot be read (%(reason)s)."),
                {"setting": setting, "path": str(path), "reason": type(e).__name__},
            )
        ) from None


def imported_uk_folder(settings: Settings) -> Path:
    """Where `opencustoms origin import-uk` installs a newer UK folder."""
    return settings.data_dir / "origin" / "uk"


def correspondence_file(settings: Settings) -> Path:
    """Where `opencustoms hs import-correspondence` installs an HS correspondence table."""
    return settings.data_dir / "hs" / "correspondence.csv"
