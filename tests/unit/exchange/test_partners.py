"""The partner registry: partners read with every problem, added, changed and deactivated
by customs administrators only, each change audited; their node keys found."""

from datetime import UTC, date, datetime

import pytest

from opencustoms.accounts.domain import Account, Organisation, OrgKind, Principal, Role
from opencustoms.accounts.service import Context
from opencustoms.exchange.partners import (
    MESSAGE_TYPES,
    NODE_AGREEMENT,
    Link,
    node_keys,
    partner_json,
    read_partner,
)
from opencustoms.exchange.registry import PartnerRegistry
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import FixedClock
from opencustoms.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, Stale
from opencustoms.testing.fakes import in_memory_uow
from opencustoms.trust.keys import Algorithm, generate

NOW = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)
PASS = "x" * 12
KNOWN = {"rcep", "akfta", "vkfta"}
VIETNAM = {
    "node": "VN-NODE",
    "country": "VN",
    "name": "General Department of Vietnam Customs",
    "url": "https://node.customs.gov.vn/",
    "links": [
        {"agreement": "vkfta", "reply_days": 90},
        {"agreement": "rcep", "messages": ["certificate.issued", "ack"], "reply_days": 60},
    ],
}


def _actor(role, kind=OrgKind.CUSTOMS_ADMINISTRATION):
    org = Organisation("org_kcs", "Korea Customs Service", kind, Country("KR"), NOW)
    return Context(Principal(Account("acc_admin", org.id, "Park", frozenset({role}), NOW), org))


@pytest.fixture
def registry():
    uow, state = in_memory_uow()
    return PartnerRegistry(uow, FixedClock(NOW), lambda: KNOWN), state


def test_a_partner_is_read_with_its_agreements_and_defaults():
    partner = read_partner(VIETNAM, KNOWN, NOW)
    assert partner.url == "https://node.customs.gov.vn"  # no trailing slash
    assert partner.links == (
        Link("vkfta", MESSAGE_TYPES, 90),
        Link("rcep", ("certificate.issued", "ack"), 60),
    )
    assert partner.link("rcep").reply_days == 60
    assert partner.link("cptpp") is None
    assert read_partner(partner_json(partner), KNOWN, NOW) == partner


def test_a_bad_partner_says_every_problem():
    bad = {
        "node": "VN NODE",
        "country": "XX",
        "name": "",
        "url": "ftp://node",
        "links": [
            {"agreement": "nafta"},
            {"agreement": "rcep", "messages": ["gossip"]},
            {"agreement": "vkfta", "reply_days": 0},
            {"agreement": "akfta", "extra": 1},
            "rcep",
        ],
        "colour": "red",
    }
    with pytest.raises(InvalidInput) as e:
        read_partner(bad, KNOWN, NOW)
    said = sorted(f.render() for f in e.value.findings)
    assert said == [
        "colour: not a field of a partner",
        "country: an ISO 3166 country code, e.g. VN",
        "links[0].agreement: an agreement this node knows (akfta, rcep, vkfta)",
        "links[1].messages: a list of message types (" + ", ".join(MESSAGE_TYPES) + ")",
        "links[2].reply_days: a number of days, 1 to 365",
        "links[3].extra: not a field of a link",
        "links[4]: expected an object",
        "name: a name of at most 200 characters",
        "node: letters, digits and '-', at most 40, e.g. VN-NODE",
        "url: an https base URL, e.g. https://node.customs.gov.vn (http only on this machine: "
        "127.0.0.1, localhost)",
    ]
    with pytest.raises(InvalidInput, match="at least one agreement"):
        read_partner(VIETNAM | {"links": []}, KNOWN, NOW)


def test_a_change_made_on_a_version_read_before_another_change_is_refused(registry):
    partners, state = registry
    admin = _actor(Role.CUSTOMS_ADMIN)
    partners.add(admin, VIETNAM)
    first = partners.update(admin, "VN-NODE", VIETNAM | {"name": "GDVC"}, if_version=1)
    assert first.version == 2
    with pytest.raises(Stale, match="VN-NODE is at version 2, not 1") as refused:
        partners.update(admin, "VN-NODE", VIETNAM | {"url": "https://old.gov.vn"}, if_version=1)
    assert refused.value.status == 412
    kept = partners.get(admin, "VN-NODE")  # nothing changed, nothing audited
    assert (kept.name, kept.url, kept.version) == ("GDVC", "https://node.customs.gov.vn", 2)
    assert [a.action for a in state.audit] == ["partner.add", "partner.update"]


def test_administrators_add_change_and_deactivate_partners_with_an_audit(registry):
    partners, state = registry
    admin = _actor(Role.CUSTOMS_ADMIN)
    added = partners.add(admin, VIETNAM)
    assert added.version == 1
    with pytest.raises(Conflict, match="VN-NODE is a partner already"):
        partners.add(admin, VIETNAM)
    moved = partners.update(admin, "VN-NODE", VIETNAM | {"url": "https://new.customs.gov.vn"})
    assert (moved.url, moved.version, moved.created_at) == (
        "https://new.customs.gov.vn",
        2,
        added.created_at,
    )
    with pytest.raises(InvalidInput, match="do not change"):
        partners.update(admin, "VN-NODE", VIETNAM | {"node": "VN-NODE2"})
    assert not partners.deactivate(admin, "VN-NODE").active
    assert partners.list(admin, active_only=True) == []
    assert [p.node for p in partners.list(admin)] == ["VN-NODE"]
    assert partners.activate(admin, "VN-NODE").active
    with pytest.raises(NotFound, match="No partner node CN-NODE"):
        partners.get(admin, "CN-NODE")
    assert [(a.action, a.object_id, a.actor_account_id) for a in state.audit] == [
        ("partner.add", "VN-NODE", "acc_admin"),
        ("partner.update", "VN-NODE", "acc_admin"),
        ("partner.deactivate", "VN-NODE", "acc_admin"),
        ("partner.activate", "VN-NODE", "acc_admin"),
    ]
    assert state.audit[0].details["links"][1]["agreement"] == "rcep"
    changed = state.audit[1].details  # what it became, and what it was
    assert (changed["url"], changed["before"]["url"]) == (
        "https://new.customs.gov.vn",
        "https://node.customs.gov.vn",  # as stored: no trailing slash
    )


def test_only_administrators_manage_partners_officers_and_auditors_read(registry):
    partners, _ = registry
    partners.add(_actor(Role.CUSTOMS_ADMIN), VIETNAM)
    for role in (Role.CUSTOMS_OFFICER, Role.AUDITOR):
        assert partners.get(_actor(role), "VN-NODE").node == "VN-NODE"
        with pytest.raises(Forbidden):
            partners.deactivate(_actor(role), "VN-NODE")
    exporter = _actor(Role.EXPORTER, OrgKind.EXPORTER)
    with pytest.raises(Forbidden):
        partners.list(exporter)
    with pytest.raises(Forbidden):
        partners.add(exporter, VIETNAM | {"node": "VN-2"})


def test_a_partners_node_keys_are_its_keys_listed_for_the_exchange():
    partner = read_partner(VIETNAM, KNOWN, NOW)
    made = [
        generate(kid, Algorithm.ED25519, authority, country, agreements, date(2026, 1, 1), PASS)[0]
        for kid, authority, country, agreements in (
            ("VN-NODE-1", "VN-NODE", "VN", [NODE_AGREEMENT]),
            ("VN-VCCI-1", "VN-VCCI", "VN", ["vkfta"]),  # an issuing authority's: certificates
            ("VN-NODE-2", "VN-NODE", "VN", ["vkfta"]),  # not listed for the exchange
            ("VN-NODE-3", "VN-NODE", "KR", [NODE_AGREEMENT]),  # another country's
            ("VN-NODE-4", "VN-NODE", "VN", [NODE_AGREEMENT, "rcep"]),  # signs certificates too
        )
    ]
    assert list(node_keys(partner, made)) == ["VN-NODE-1"]


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",  # not a URL at all: a finding, not a crash
        "https://node.vn:99999",
        "https://user:secret@node.vn",
        "https://node.vn\\@evil.com",
        "https://node.vn/?q=1",
        "node.vn",
        "http://node.vn",  # plain http away from this machine: answers could be forged
    ],
)
def test_a_partner_url_is_a_plain_https_base_url(url):
    with pytest.raises(InvalidInput, match="url: an https base URL"):
        read_partner(VIETNAM | {"url": url}, KNOWN, NOW)


def test_a_partner_has_at_most_twenty_agreements():
    links = [{"agreement": "rcep"}] * 21
    with pytest.raises(InvalidInput, match="at most 20 agreements") as e:
        read_partner(VIETNAM | {"links": links}, KNOWN, NOW)
    assert len(e.value.findings) == 1
