"""Lodging declarations on the in-memory store: validated and assessed at once, refused
whole with only the rejection kept, amended and cancelled with history, each party
seeing its own."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from opencustoms.accounts.domain import Account, Organisation, OrgKind, Principal, Role
from opencustoms.accounts.service import OPERATOR, Context, Idempotency
from opencustoms.clearance.data import shipped_rate_types, shipped_schedule, shipped_tax_rules
from opencustoms.clearance.records import Action, DeclarationState
from opencustoms.clearance.service import ClearanceService, Tariff
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import FixedClock
from opencustoms.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, Stale
from opencustoms.kernel.exchange import parse_rates
from opencustoms.testing.fakes import in_memory_uow
from tests.samples import CLEARANCE_ITEM

NOW = datetime(2021, 2, 3, 1, 0, tzinfo=UTC)
RATES = "valid_from,from_currency,to_currency,rate\n2021-01-25,USD,KRW,1100\n"


def _actor(kind: OrgKind, role: Role, org: str, mandated: frozenset[str] = frozenset()):
    organisation = Organisation(org, org, kind, Country("KR"), NOW)
    account = Account(f"acc_{org}", org, "x", frozenset({role}), NOW)
    return Context(Principal(account, organisation, mandated))


IMPORTER = _actor(OrgKind.IMPORTER, Role.IMPORTER, "org_imp")
OTHER = _actor(OrgKind.IMPORTER, Role.IMPORTER, "org_other")
BROKER = _actor(OrgKind.BROKER, Role.BROKER, "org_brk", frozenset({"org_imp"}))
OFFICER = _actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER, "org_kcs")


def _declaration(reference="43210-21-000001", **changes):
    item = CLEARANCE_ITEM | {
        "origin": "CN",
        "proof": {"kind": "certificate", "reference": "K2021-1"},
    }
    return {
        "reference": reference,
        "date": "2021-02-02",
        "office": "30",
        "declarant": "org_imp",
        "importer": "org_imp",
        "seller": "0VKY2BR",
        "items": [item],
    } | changes


@pytest.fixture
def clearance():
    uow, state = in_memory_uow()
    tariff = Tariff(
        shipped_rate_types(), shipped_schedule(), shipped_tax_rules(), parse_rates(RATES, "r")
    )
    return ClearanceService(uow, FixedClock(NOW), lambda: tariff, ZoneInfo("Asia/Seoul")), state


def test_a_declaration_is_lodged_assessed_and_kept_with_its_first_event(clearance):
    svc, state = clearance
    record, replayed = svc.lodge(IMPORTER, _declaration())
    assert (replayed, record.state, record.version) == (False, DeclarationState.LODGED, 1)
    # 1,125 USD at 1,100 = 1,237,500 won; FCN1 3.9 % = 48,262; VAT 10 % of 1,285,762
    assert (record.assessment["duty"], record.assessment["vat"]) == ("48260", "128570")
    assert record.assessment["items"][0]["line"]["rate_type"] == "FCN1"
    assert [e.action for e in svc.history(IMPORTER, record.reference)] == [Action.LODGED]
    assert [a.action for a in state.audit] == ["declaration.lodge"]
    assert svc.get(OFFICER, record.id) == record


def test_an_invalid_declaration_is_refused_whole_and_only_its_rejection_kept(clearance):
    svc, state = clearance
    bad = _declaration(items=[CLEARANCE_ITEM | {"origin": "VN"}])  # FCN1 from Viet Nam, no proof
    with pytest.raises(InvalidInput) as e:
        svc.lodge(IMPORTER, bad)
    assert {f.code for f in e.value.findings} == {
        "declaration.origin_not_party",
        "declaration.proof_required",
    }
    assert state.declarations == {}
    [rejection] = svc.rejections(IMPORTER)
    assert rejection.reference == "43210-21-000001"
    assert [f["code"] for f in rejection.findings] == [f.code for f in e.value.findings]
    assert svc.rejections(OTHER) == []  # another importer does not see it


def test_a_rate_missing_from_the_schedule_refuses_the_declaration(clearance):
    svc, _ = clearance
    with pytest.raises(InvalidInput, match=r"no FCN1 rate for 9999\.99"):
        svc.lodge(IMPORTER, _declaration(items=[
            CLEARANCE_ITEM | {"hs_code": "9999999999", "origin": "CN",
                              "proof": {"kind": "certificate", "reference": "K1"}}]))  # fmt: skip


def test_a_number_is_lodged_once_and_a_key_replays_the_first_answer(clearance):
    svc, _ = clearance
    key = Idempotency("key-1", "fingerprint-1")
    first, _ = svc.lodge(IMPORTER, _declaration(), key)
    again, replayed = svc.lodge(IMPORTER, _declaration(), key)
    assert (again.id, replayed) == (first.id, True)
    with pytest.raises(Conflict, match="was already used for a different request"):
        svc.lodge(IMPORTER, _declaration(), Idempotency("key-1", "another request"))
    with pytest.raises(Conflict, match="43210-21-000001 is lodged already"):
        svc.lodge(IMPORTER, _declaration())


def test_importers_declare_for_themselves_and_brokers_with_a_mandate(clearance):
    svc, _ = clearance
    with pytest.raises(Forbidden, match="only as the importer"):
        svc.lodge(OTHER, _declaration())
    lodged, _ = svc.lodge(BROKER, _declaration(declarant="org_brk"))
    with pytest.raises(Forbidden):  # a broker declares as itself
        svc.lodge(BROKER, _declaration("43210-21-000002"))
    with pytest.raises(Forbidden):
        svc.lodge(OFFICER, _declaration("43210-21-000003"))
    # each sees its own; customs sees all
    assert [r.id for r in svc.find(IMPORTER)] == [lodged.id]
    assert [r.id for r in svc.find(OFFICER)] == [lodged.id]
    assert svc.find(OTHER) == []
    with pytest.raises(NotFound):
        svc.get(OTHER, lodged.reference)


def test_a_batch_lodges_each_on_its_own_merits_in_one_go(clearance):
    svc, state = clearance
    outcomes = svc.lodge_many(
        OPERATOR,
        [
            ("a", _declaration("N-1")),
            ("b", _declaration("N-2", importer="org_other")),
            ("c", _declaration("N-1")),  # twice in the batch
            ("d", {"reference": "N-4"}),
            ("e", _declaration("N-5", date="2021-02-30")),
        ],
    )
    assert [o.record is not None for o in outcomes] == [True, True, False, False, False]
    assert outcomes[2].findings[0].code == "declaration.reference_taken"
    assert len(state.declarations) == 2
    assert [r.source for r in state.rejections] == ["c", "d", "e"]
    # an importer's batch refuses another importer's declaration, and lodges its own
    mixed = svc.lodge_many(IMPORTER, [("x", _declaration("N-6", importer="org_other")),
                                      ("y", _declaration("N-7"))])  # fmt: skip
    assert [o.findings[0].code if o.findings else None for o in mixed] == [
        "declaration.not_yours", None
    ]  # fmt: skip


def test_an_amendment_is_assessed_again_and_the_old_version_kept(clearance):
    svc, _ = clearance
    record, _ = svc.lodge(IMPORTER, _declaration())
    proof = {"kind": "certificate", "reference": "K1"}
    more = _declaration(items=[CLEARANCE_ITEM | {"price": "2000", "origin": "CN", "proof": proof}])
    amended = svc.amend(IMPORTER, record.reference, more, "price corrected")
    assert (amended.version, amended.id) == (2, record.id)
    assert int(amended.assessment["duty"]) > int(record.assessment["duty"])
    events = svc.history(OFFICER, record.id)
    assert [(e.version, e.action, e.reason) for e in events] == [
        (1, Action.LODGED, None),
        (2, Action.AMENDED, "price corrected"),
    ]
    assert events[0].assessment == record.assessment  # what it was stays
    with pytest.raises(InvalidInput, match="keeps the declaration's reference"):
        svc.amend(IMPORTER, record.id, _declaration("OTHER-1"), "renumber")
    with pytest.raises(InvalidInput, match="Say why"):
        svc.amend(IMPORTER, record.id, more, "  ")
    with pytest.raises(InvalidInput):  # an invalid amendment changes nothing
        svc.amend(IMPORTER, record.id, _declaration(office="not an office"), "x")
    assert svc.get(IMPORTER, record.id).version == 2


def test_a_cancelled_declaration_is_kept_and_can_no_longer_change(clearance):
    svc, _ = clearance
    record, _ = svc.lodge(IMPORTER, _declaration())
    cancelled = svc.cancel(IMPORTER, record.id, "goods returned")
    assert (cancelled.state, cancelled.version) == (DeclarationState.CANCELLED, 2)
    with pytest.raises(Conflict, match="is cancelled: it can no longer be changed"):
        svc.cancel(IMPORTER, record.id, "again")
    with pytest.raises(NotFound):
        svc.cancel(OTHER, record.id, "not mine")
    assert [r.id for r in svc.find(OFFICER, DeclarationState.CANCELLED)] == [record.id]


def test_only_the_importer_or_a_broker_mandated_now_may_change_a_declaration(clearance):
    svc, _ = clearance
    lodged, _ = svc.lodge(BROKER, _declaration(declarant="org_brk"))
    # an importer declaring for itself is its own declarant: it cannot name a broker
    with pytest.raises(Forbidden):
        svc.lodge(IMPORTER, _declaration("N-9", declarant="org_brk"))
    # an amendment keeps the parties
    with pytest.raises(InvalidInput, match="keeps the declaration's importer"):
        svc.amend(BROKER, lodged.id, _declaration(declarant="org_brk", importer="org_x"), "x")
    # the mandate withdrawn, the broker may read what it declared, but not change it
    revoked = _actor(OrgKind.BROKER, Role.BROKER, "org_brk")
    assert svc.get(revoked, lodged.id) == lodged
    with pytest.raises(Forbidden):
        svc.cancel(revoked, lodged.id, "not mine any more")
    assert svc.cancel(IMPORTER, lodged.id, "goods returned").version == 2


def test_a_change_made_on_an_older_version_is_refused(clearance):
    svc, _ = clearance
    record, _ = svc.lodge(IMPORTER, _declaration())
    svc.amend(IMPORTER, record.id, _declaration(), "same again", if_version=1)
    with pytest.raises(Stale, match="is at version 2, not 1"):
        svc.cancel(IMPORTER, record.id, "stale copy", if_version=1)


def test_control_characters_and_odd_keys_are_refused_before_the_store(clearance):
    svc, state = clearance
    record, _ = svc.lodge(IMPORTER, _declaration())
    with pytest.raises(InvalidInput, match="Say why"):
        svc.cancel(IMPORTER, record.id, "a\x00b")
    for key in ("N\x00X", "dcl_zz", "A/2", "x" * 500):
        with pytest.raises(NotFound):
            svc.get(IMPORTER, key)
    with pytest.raises(InvalidInput):
        svc.lodge(IMPORTER, _declaration("N\x00-2"))
    assert state.rejections[-1].reference is None  # not a number: not kept as one


def test_a_misspelt_field_and_every_items_problem_are_reported(clearance):
    svc, _ = clearance
    misspelt = _declaration(courrier="DHL")
    misspelt["items"][0] = misspelt["items"][0] | {"frieght": "120"}
    with pytest.raises(InvalidInput) as e:
        svc.lodge(IMPORTER, misspelt)
    assert {f.field for f in e.value.findings if f.code == "input.unknown_field"} == {
        "courrier",
        "items[0].frieght",
    }
    no_rate = CLEARANCE_ITEM | {"hs_code": "9999999999", "origin": "CN",
                                "proof": {"kind": "certificate", "reference": "K1"}}  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        svc.lodge(IMPORTER, _declaration(items=[no_rate, no_rate]))
    assert [f.field for f in e.value.findings] == ["items[0].rate_type", "items[1].rate_type"]
