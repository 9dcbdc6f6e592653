"""Certificate changes reach the outbox in their own transaction: the importing
country's partner nodes get the issue, replacement or revocation, in order."""

from datetime import UTC, date, datetime

import pytest

from opencustoms.accounts.service import Context
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.lifecycle import DEFAULT_NUMBER_FORMAT
from opencustoms.certificates.service import CertificateService
from opencustoms.exchange.outbox import Delivery
from opencustoms.exchange.publish import OutboxPublisher
from opencustoms.exchange.registry import PartnerRegistry
from opencustoms.kernel.dates import FixedClock, zone
from opencustoms.kernel.errors import DomainError
from opencustoms.testing.fakes import in_memory_uow
from opencustoms.trust.keys import Algorithm
from opencustoms.trust.service import AuthorityKeys
from tests.samples import APPLICATION

PASS = "correct horse battery"
OPERATOR = Context(None)
NOW = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)


def _partner(node, country, agreement="rcep", messages=None):
    link = {"agreement": agreement} | ({"messages": messages} if messages else {})
    return {
        "node": node,
        "country": country,
        "name": node,
        "url": "http://127.0.0.1:9",
        "links": [link],
    }


@pytest.fixture
def node(tmp_path):
    uow, state = in_memory_uow()
    clock = FixedClock(NOW)
    keys = AuthorityKeys(uow, clock, tmp_path / "keys")
    keys.create("KR-KCS", "KR", ["rcep"], Algorithm.ED25519, date(2026, 1, 1), PASS)
    partners = PartnerRegistry(uow, clock, lambda: {"rcep", "akfta"})
    partners.add(OPERATOR, _partner("JP-NODE", "JP"))
    partners.add(OPERATOR, _partner("JP-OLD", "JP"))
    partners.deactivate(OPERATOR, "JP-OLD")  # no longer exchanged with
    partners.add(OPERATOR, _partner("CN-NODE", "CN"))  # not the import country
    partners.add(OPERATOR, _partner("JP-AK", "JP", agreement="akfta"))  # not this agreement
    certificates = CertificateService(
        uow,
        clock,
        shipped_forms(),
        keys.private_pem,
        lambda: PASS,
        zone("Asia/Seoul"),
        DEFAULT_NUMBER_FORMAT,
        publisher=OutboxPublisher("KR-NODE"),
    )
    return certificates, partners, state


def _issue(certificates):
    applied = certificates.apply(OPERATOR, APPLICATION)
    return certificates.issue(OPERATOR, applied.id, "Lee Seo-yeon", "Busan")


def test_an_issue_a_replacement_and_a_revocation_reach_the_importing_countrys_node(node):
    certificates, _, state = node
    issued = _issue(certificates)
    [sent] = state.outbox
    e = sent.envelope
    assert (e.type, e.sender, e.receiver, e.sequence) == (
        "certificate.issued",
        "KR-NODE",
        "JP-NODE",
        1,
    )
    assert e.subject == f"KR-KCS/{issued.number}"
    assert e.payload["document"] == issued.signed  # the authority's own signed document
    assert (sent.state, sent.attempts) == (Delivery.PENDING, 0)

    new = certificates.replace(
        OPERATOR, issued.id, APPLICATION, "consignee's name corrected", "Lee Seo-yeon", "Busan"
    )
    replaced = state.outbox[-1].envelope
    assert (replaced.type, replaced.sequence, replaced.subject) == (
        "certificate.replaced",
        2,
        f"KR-KCS/{issued.number}",
    )
    assert (replaced.payload["by"], replaced.payload["document"]) == (new.number, new.signed)

    certificates.revoke(OPERATOR, new.id, "issued in error")
    revoked = state.outbox[-1].envelope
    assert (revoked.type, revoked.sequence, revoked.subject) == (
        "certificate.revoked",
        1,
        f"KR-KCS/{new.number}",
    )
    assert revoked.payload["revoked_at"] == "2026-06-02T03:00:00Z"
    assert [o.envelope.type for o in state.outbox] == [
        "certificate.issued",
        "certificate.replaced",
        "certificate.revoked",
    ]


def test_nothing_is_sent_for_what_did_not_happen_or_a_link_does_not_carry(node, tmp_path):
    certificates, partners, state = node
    applied = certificates.apply(OPERATOR, APPLICATION)
    with pytest.raises(DomainError):  # refused (an issue date before the application): no message
        certificates.issue(OPERATOR, applied.id, "Lee", "Busan", on=date(2026, 5, 1))
    assert state.outbox == []
    certificates.reject(OPERATOR, certificates.apply(OPERATOR, APPLICATION).id, "incomplete")
    assert state.outbox == []
    # the partner's link carries issues only: a revocation is not sent to it
    partners.update(OPERATOR, "JP-NODE", _partner("JP-NODE", "JP", messages=["certificate.issued"]))
    issued = _issue(certificates)
    certificates.revoke(OPERATOR, issued.id, "issued in error")
    assert [o.envelope.type for o in state.outbox] == ["certificate.issued"]


def test_a_replacement_to_another_importer_reaches_the_old_importer_too(node):
    from dataclasses import replace

    certificates, partners, state = node
    partners.add(OPERATOR, _partner("VN-NODE", "VN"))
    issued = _issue(certificates)
    to_vietnam = replace(
        APPLICATION,
        import_country="VN",
        importer=replace(APPLICATION.importer, country="VN"),
    )
    certificates.replace(OPERATOR, issued.id, to_vietnam, "sold on to Viet Nam", "Lee", "Busan")
    replaced = [o.envelope for o in state.outbox if o.envelope.type == "certificate.replaced"]
    assert sorted((e.receiver, e.sequence) for e in replaced) == [("JP-NODE", 2), ("VN-NODE", 1)]


def test_issuing_together_publishes_once_for_the_batch(node):
    certificates, _, state = node
    ids = [certificates.apply(OPERATOR, APPLICATION).id for _ in range(3)]
    issued = certificates.issue_many(OPERATOR, ids, "Lee", "Busan")
    assert [(o.envelope.payload["number"], o.envelope.sequence) for o in state.outbox] == [
        (r.number, 1) for r in issued
    ]


def test_a_node_without_an_id_sends_nothing(node):
    certificates, _, state = node
    certificates._publisher = OutboxPublisher(None)
    _issue(certificates)
    assert state.outbox == []
