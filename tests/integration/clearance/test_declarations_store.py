"""Declarations kept the same way by the in-memory fake and by SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from opencustoms.clearance.declaration_io import declaration_json, read_declaration
from opencustoms.clearance.records import (
    Action,
    DeclarationEvent,
    DeclarationRecord,
    DeclarationState,
    Rejection,
)
from opencustoms.clearance.settlement import Draw, EntryKind, Guarantee, LedgerEntry
from opencustoms.kernel.errors import Conflict
from opencustoms.kernel.money import Money
from tests.samples import CLEARANCE_ITEM

T0 = datetime(2021, 2, 3, 1, 0, tzinfo=UTC)
ASSESSMENT = {"currency": "KRW", "duty": "48260", "vat": "128570", "items": [], "steps": []}


def _record(n: int, importer="org_imp", at=T0) -> tuple[DeclarationRecord, DeclarationEvent]:
    d = read_declaration(
        {
            "reference": f"43210-21-{n:06d}",
            "date": "2021-02-02",
            "office": "30",
            "declarant": "org_brk",
            "importer": importer,
            "items": [CLEARANCE_ITEM | {"origin": "CN", "description": "가방 bags"}],
        }
    )
    r = DeclarationRecord(
        f"dcl_{n}", d, ASSESSMENT, DeclarationState.LODGED, 1, at, at, "acc_1", "org_brk"
    )
    e = DeclarationEvent(
        f"dev_{n}", r.id, 1, Action.LODGED, at, "acc_1", None, declaration_json(d), ASSESSMENT
    )
    return r, e


def test_declarations_round_trip_with_their_events(uow):
    first, second = _record(1), _record(2, importer="org_other", at=T0 + timedelta(minutes=1))
    with uow() as u:
        u.declarations.add_many([first, second])
        u.commit()
    with uow() as u:
        assert u.declarations.get("dcl_1") == first[0]
        assert u.declarations.by_reference("43210-21-000002") == second[0]
        assert u.declarations.get("dcl_9") is None
        assert u.declarations.taken(["43210-21-000001", "43210-21-000009"]) == {"43210-21-000001"}
        assert [r.id for r in u.declarations.find()] == ["dcl_2", "dcl_1"]  # newest first
        assert [r.id for r in u.declarations.find(frozenset({"org_other"}))] == ["dcl_2"]
        assert [r.id for r in u.declarations.find(frozenset({"org_brk"}))] == ["dcl_2", "dcl_1"]
        assert [r.id for r in u.declarations.find(limit=1, offset=1)] == ["dcl_1"]
        assert u.declarations.events("dcl_1") == [first[1]]


def test_a_number_is_lodged_once_and_nothing_of_the_batch_is_kept(uow):
    with uow() as u:
        u.declarations.add_many([_record(1)])
        u.commit()
    with uow() as u:
        with pytest.raises(Conflict, match="43210-21-000001 is lodged already"):
            u.declarations.add_many([_record(2), _record(1)])
        u.commit()  # what else the transaction did stands; nothing of the batch
    with uow() as u:
        assert u.declarations.get("dcl_2") is None


def test_a_change_is_written_only_over_the_version_it_was_made_on(uow):
    record, _ = first = _record(1)
    with uow() as u:
        u.declarations.add_many([first])
        u.commit()
    cancelled = replace(
        record, state=DeclarationState.CANCELLED, version=2, updated_at=T0 + timedelta(hours=1)
    )
    document = declaration_json(record.declaration)
    at = cancelled.updated_at
    event = DeclarationEvent(
        "dev_x", record.id, 2, Action.CANCELLED, at, None, "returned", document, ASSESSMENT
    )
    with uow() as u:
        u.declarations.save(cancelled, event)
        u.commit()
    with uow() as u, pytest.raises(Conflict, match="changed while"):
        u.declarations.save(cancelled, replace(event, id="dev_y"))
    with uow() as u:
        assert u.declarations.get(record.id).state is DeclarationState.CANCELLED
        assert [e.reason for e in u.declarations.events(record.id)] == [None, "returned"]
        assert [r.id for r in u.declarations.find(state=DeclarationState.LODGED)] == []


def test_rejections_are_kept_and_read_by_who_made_them(uow):
    findings = ({"code": "declaration.proof_required", "field": "items[0].proof",
                 "message": "%(field)s: …", "params": {"field": "items[0].proof"},
                 "severity": "error"},)  # fmt: skip
    with uow() as u:
        later = T0 + timedelta(seconds=1)
        u.declarations.add_rejections(
            [
                Rejection("rej_1", "N-1", T0, "acc_1", "org_imp", findings, "api"),
                Rejection("rej_2", None, later, None, None, findings, "rows.csv, line 3"),
            ]
        )
        u.commit()
    with uow() as u:
        assert [r.id for r in u.declarations.rejections()] == ["rej_2", "rej_1"]
        [mine] = u.declarations.rejections(frozenset({"org_imp"}))
        assert (mine.reference, mine.findings) == ("N-1", findings)


def test_payments_guarantees_and_draws_round_trip(uow):
    record, event = _record(1)
    g = Guarantee("gua_1", "org_imp", Money("300000", "KRW"), Money("0", "KRW"), T0)
    with uow() as u:
        u.declarations.add_many([(record, event)])
        u.settlements.add_guarantee(g)
        u.settlements.add_entry(
            LedgerEntry(
                "led_1", record.id, EntryKind.PAYMENT, Money("1000.5", "KRW"), T0, None, "KB-1"
            )
        )
        u.settlements.add_draw(Draw("drw_1", g.id, record.id, Money("176830", "KRW"), T0))
        u.settlements.save_guarantee(replace(g, drawn=Money("176830", "KRW"), version=2))
        u.commit()
    with uow() as u:
        assert u.settlements.guarantee("gua_1", lock=True).available == Money("123170", "KRW")
        assert [x.id for x in u.settlements.guarantees(frozenset({"org_other"}))] == []
        [entry] = u.settlements.entries(record.id)
        assert entry.amount == Money("1000.5", "KRW")
        u.settlements.release_draw("drw_1", T0 + timedelta(hours=1))
        u.commit()
    with uow() as u:
        [draw] = u.settlements.draws(guarantee_id="gua_1")
        assert draw.released_at == T0 + timedelta(hours=1)
        with pytest.raises(Conflict, match="changed meanwhile"):
            u.settlements.save_guarantee(replace(g, version=2))
