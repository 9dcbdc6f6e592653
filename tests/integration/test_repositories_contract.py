"""One contract, two implementations: the in-memory fakes and the SQL adapters.

If these pass for both, service tests on the fakes say something true about
the real store.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from opencustoms.accounts.domain import (
    Account,
    ApiToken,
    Mandate,
    Organisation,
    OrgKind,
    Role,
    Visibility,
)
from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import Conflict
from opencustoms.platform.audit import AuditEvent
from opencustoms.platform.idempotency import StoredResponse

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _org(i: str, kind=OrgKind.IMPORTER) -> Organisation:
    return Organisation(f"org_{i}", f"Org {i}", kind, Country("KR"), T0)


def test_organisations_and_accounts_round_trip(uow):
    with uow() as u:
        u.accounts.add_organisation(_org("b"))
        u.accounts.add_organisation(_org("a"))
        u.accounts.add_account(Account("acc_1", "org_a", "Kim", frozenset({Role.IMPORTER}), T0))
        u.commit()
    with uow() as u:
        assert [o.id for o in u.accounts.organisations()] == ["org_a", "org_b"]
        assert u.accounts.organisation("org_a") == _org("a")
        assert u.accounts.organisation("org_zzz") is None
        assert u.accounts.account("acc_1").roles == frozenset({Role.IMPORTER})
        assert [a.id for a in u.accounts.accounts_of("org_a")] == ["acc_1"]


def test_uncommitted_work_is_lost(uow):
    with uow() as u:
        u.accounts.add_organisation(_org("a"))
    with uow() as u:
        assert u.accounts.organisation("org_a") is None


def test_work_behind_a_savepoint_is_lost_with_its_transaction(uow):
    """Adding a certificate, a determination or a number sequence uses a savepoint (to
    tell a taken key from other errors). On SQLite a savepoint opened before the
    transaction would become the transaction, and its release would commit: the
    transaction must begin first, so that nothing survives a rollback."""
    with uow() as u:
        u.certificates.add(_stored("1"))
        u.determinations.add(_determination("1"))
        assert u.certificates.next_in_sequence("KR-KCS", "2026") == 1
    with uow() as u:
        assert u.certificates.get("cert_1") is None
        assert u.determinations.get("det_1") is None
        assert u.certificates.next_in_sequence("KR-KCS", "2026") == 1


def test_tokens_by_hash_and_mandates(uow):
    with uow() as u:
        u.accounts.add_organisation(_org("imp"))
        u.accounts.add_organisation(_org("brk", OrgKind.BROKER))
        u.accounts.add_account(Account("acc_1", "org_imp", "Kim", frozenset({Role.IMPORTER}), T0))
        u.accounts.add_token(ApiToken("tok_1", "acc_1", "h" * 64, T0))
        u.accounts.add_mandate(Mandate("man_1", "org_imp", "org_brk", T0))
        u.commit()
    with uow() as u:
        assert u.accounts.token_by_hash("h" * 64).account_id == "acc_1"
        assert u.accounts.token_by_hash("x" * 64) is None
        assert [m.id for m in u.accounts.mandates_of_broker("org_brk")] == ["man_1"]
        assert [m.id for m in u.accounts.mandates_of_importer("org_imp")] == ["man_1"]
        assert u.accounts.mandates_of_broker("org_imp") == []


def test_audit_events_newest_first_and_scoped(uow):
    with uow() as u:
        u.accounts.add_organisation(_org("a"))
        u.accounts.add_organisation(_org("b"))
        for i, org in enumerate(["org_a", "org_b", "org_a"]):
            u.audit.append(
                AuditEvent(f"aud_{i}", T0, "x.do", "x", f"x_{i}", org, None, None, None, {"n": i})
            )
        u.commit()
    with uow() as u:
        assert [e.id for e in u.audit.events(10)] == ["aud_2", "aud_1", "aud_0"]
        assert [e.id for e in u.audit.events(10, Visibility(frozenset({"org_a"})))] == [
            "aud_2",
            "aud_0",
        ]
        assert [e.id for e in u.audit.events(1)] == ["aud_2"]
        assert u.audit.events(10)[0].details == {"n": 2}


def test_idempotency_keys_are_unique_per_scope(uow):
    stored = StoredResponse("acc_1", "k1", "fp", 201, {"type": "organisation", "id": "org_a"}, T0)
    with uow() as u:
        u.idempotency.put(stored)
        u.idempotency.put(StoredResponse("acc_2", "k1", "fp", 201, {"id": "org_b"}, T0))
        u.commit()
    with uow() as u:
        assert u.idempotency.get("acc_1", "k1") == stored
        assert u.idempotency.get("acc_3", "k1") is None
        with pytest.raises(Conflict):
            u.idempotency.put(stored)


def test_revocations(uow):
    later = datetime(2026, 11, 2, tzinfo=UTC)
    with uow() as u:
        u.accounts.add_organisation(_org("imp"))
        u.accounts.add_organisation(_org("brk", OrgKind.BROKER))
        u.accounts.add_account(Account("acc_1", "org_imp", "Kim", frozenset({Role.IMPORTER}), T0))
        u.accounts.add_token(ApiToken("tok_1", "acc_1", "h" * 64, T0))
        u.accounts.add_mandate(Mandate("man_1", "org_imp", "org_brk", T0))
        u.commit()
    with uow() as u:
        u.accounts.revoke_token("tok_1", later)
        u.accounts.set_account_active("acc_1", False)
        u.accounts.revoke_mandate("man_1", later)
        u.commit()
    with uow() as u:
        assert u.accounts.token("tok_1").revoked_at == later
        assert u.accounts.token_by_hash("h" * 64).revoked_at == later
        assert u.accounts.account("acc_1").active is False
        assert u.accounts.mandates_of_broker("org_brk")[0].revoked_at == later
        assert u.accounts.token("tok_none") is None


def test_organisations_filtered_and_paged_by_visibility(uow):
    with uow() as u:
        u.accounts.add_organisation(_org("a"))  # KR importer
        u.accounts.add_organisation(_org("b", OrgKind.EXPORTER))
        u.accounts.add_organisation(
            Organisation("org_c", "Org c", OrgKind.EXPORTER, Country("VN"), T0)
        )
        u.accounts.add_organisation(_org("d", OrgKind.BROKER))
        u.commit()
    with uow() as u:
        ids = lambda v, **kw: [o.id for o in u.accounts.organisations(v, **kw)]  # noqa: E731
        assert ids(None) == ["org_a", "org_b", "org_c", "org_d"]
        assert ids(Visibility(frozenset({"org_d"}))) == ["org_d"]
        korea = Visibility(frozenset({"org_x"}), frozenset({Country("KR")}))
        assert ids(korea) == ["org_a", "org_b", "org_d"]
        exporters = Visibility(
            frozenset(), frozenset({Country("KR")}), frozenset({OrgKind.EXPORTER})
        )
        assert ids(exporters) == ["org_b"]
        assert ids(korea, limit=2) == ["org_a", "org_b"]
        assert ids(korea, limit=2, offset=2) == ["org_d"]
        assert ids(Visibility(frozenset())) == []


def _determination(i: str, supersedes=None, at=T0, organisation_id=None):
    from datetime import date

    from opencustoms.origin.records import StoredDetermination

    return StoredDetermination(
        id=f"det_{i}",
        supersedes=supersedes,
        organisation_id=organisation_id,
        agreement="uk-south-korea",
        product_hs="846620",
        product_description="Work holders — 공작물 홀더",
        on_date=date(2026, 6, 1),
        verdict="originating",
        criterion="CTH",
        rule="CTH | MaxNOM(EXW) <= 45%",
        bom={"product": {"hs": "8466.20"}, "materials": []},
        result={"verdict": "originating", "evidence": [{"kind": "date"}]},
        created_at=at,
    )


def test_determinations_keep_history_and_list_current(uow):
    from datetime import timedelta

    with uow() as u:
        u.determinations.add(_determination("1"))
        u.determinations.add(_determination("2", at=T0 + timedelta(minutes=1)))
        u.determinations.add(_determination("3", "det_1", at=T0 + timedelta(minutes=2)))
        u.commit()
    with uow() as u:
        assert u.determinations.get("det_1") == _determination("1")
        assert u.determinations.get("det_zzz") is None
        assert [r.id for r in u.determinations.current()] == ["det_3", "det_2"]
        assert [r.id for r in u.determinations.current(1)] == ["det_3"]
        assert u.determinations.get("det_3").result["evidence"] == [{"kind": "date"}]
        assert u.determinations.successor("det_1").id == "det_3"
        assert u.determinations.successor("det_3") is None
    with uow() as u:
        u.accounts.add_organisation(_org("a"))
        u.determinations.add(
            _determination("4", at=T0 + timedelta(minutes=3), organisation_id="org_a")
        )
        u.commit()
    with uow() as u:
        assert [r.id for r in u.determinations.current(organisation_id="org_a")] == ["det_4"]
        assert [r.id for r in u.determinations.current()] == ["det_4", "det_3", "det_2"]
        assert u.determinations.current(organisation_id="org_b") == []


def test_a_determination_has_one_successor_and_long_text_is_kept_whole(uow):
    from dataclasses import replace
    from datetime import timedelta

    long_rule = " | ".join(f"CTH except from hs({n:04d})" for n in range(200))  # > 2,000 chars
    first = replace(_determination("1"), rule=long_rule, product_description="x" * 500)
    with uow() as u:
        u.determinations.add(first)
        u.determinations.add(_determination("2", "det_1", at=T0 + timedelta(minutes=1)))
        u.commit()
    with uow() as u, pytest.raises(Conflict) as e:
        u.determinations.add(_determination("3", "det_1", at=T0 + timedelta(minutes=2)))
    assert e.value.finding.code == "determination.superseded"
    with uow() as u:
        assert u.determinations.get("det_1") == first  # rule and description not cut
        assert [r.id for r in u.determinations.current()] == ["det_2"]


def test_authority_keys_round_trip_with_validity_and_revocation(uow):
    from dataclasses import replace
    from datetime import date

    from opencustoms.trust.keys import Algorithm, PublicKey

    def key(kid, authority="KR-KCS", day=date(2026, 1, 1)):
        return PublicKey(
            kid=kid,
            algorithm=Algorithm.ED25519,
            jwk={"kty": "OKP", "crv": "Ed25519", "x": "abc"},
            authority=authority,
            country="KR",
            agreements=("rcep", "akfta"),
            valid_from=day,
        )

    with uow() as u:
        u.keys.add(key("k2", day=date(2026, 6, 1)))
        u.keys.add(key("k1"))
        u.keys.add(key("p1", authority="CN-GACC"))
        u.commit()
    with uow() as u:
        assert u.keys.get("k1") == key("k1")
        assert u.keys.get("zz") is None
        assert [k.kid for k in u.keys.all("KR-KCS")] == ["k1", "k2"]
        assert [k.kid for k in u.keys.all()] == ["k1", "p1", "k2"]
        changed = replace(
            key("k1"), valid_to=date(2026, 5, 31), revoked_at=T0, revocation_reason="compromised"
        )
        u.keys.save(changed)
        u.commit()
    with uow() as u:
        assert u.keys.get("k1") == changed


def _stored(i: str, **changes):
    import json
    from pathlib import Path

    from opencustoms.certificates.io import read_certificate
    from opencustoms.certificates.lifecycle import Status, StoredCertificate

    data = json.loads(
        (Path(__file__).parents[1] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
    )
    fields = {
        "id": f"cert_{i}",
        "organisation_id": None,
        "authority": "KR-KCS",
        "form": "rcep-co",
        "status": Status.APPLIED,
        "certificate": read_certificate(data),
        "created_at": T0,
        "updated_at": T0,
    } | changes
    return StoredCertificate(**fields)


def test_certificates_round_trip_and_keep_their_history(uow):
    from dataclasses import replace

    from opencustoms.certificates.lifecycle import Event, EventKind, Status

    first = _stored("1")
    with uow() as u:
        u.certificates.add(first)
        u.certificates.add(_stored("2", created_at=T0.replace(hour=10), status=Status.DRAFT))
        u.certificates.append(Event("cert_1", 1, EventKind.APPLIED, T0, None, {"form": "rcep-co"}))
        u.commit()
    issued = replace(
        first,
        status=Status.ISSUED,
        number="KR-KCS-2026-000001",
        signed={"certificate": {"a": "1"}, "jws": "x.y.z"},
        payload_sha256="ab" * 32,
        issued_at=T0,
        version=2,
    )
    with uow() as u:
        assert u.certificates.get("cert_1") == first
        u.certificates.save(issued)
        u.certificates.append(
            Event("cert_1", 2, EventKind.ISSUED, T0, "acc_1", {"number": issued.number})
        )
        u.commit()
    with uow() as u:
        assert u.certificates.get("cert_1") == issued
        assert u.certificates.by_number("KR-KCS", "KR-KCS-2026-000001") == issued
        assert u.certificates.by_number("JP-MOF", "KR-KCS-2026-000001") is None
        assert [r.id for r in u.certificates.with_number("KR-KCS-2026-000001")] == ["cert_1"]
        assert [r.id for r in u.certificates.find()] == ["cert_2", "cert_1"]
        assert [r.id for r in u.certificates.find(status=Status.ISSUED)] == ["cert_1"]
        assert [r.id for r in u.certificates.find(export_country="JP")] == []
        assert [r.id for r in u.certificates.find(limit=1)] == ["cert_2"]
        assert [r.id for r in u.certificates.find(drafts=False)] == ["cert_1"]
        history = u.certificates.events("cert_1")
        assert [(e.seq, e.kind, e.actor_account_id) for e in history] == [
            (1, EventKind.APPLIED, None),
            (2, EventKind.ISSUED, "acc_1"),
        ]
        assert history[1].details == {"number": "KR-KCS-2026-000001"}
        assert history[0].at == T0


def test_a_stale_save_a_taken_number_and_a_taken_event_are_refused(uow):
    from dataclasses import replace

    from opencustoms.certificates.lifecycle import Event, EventKind

    with uow() as u:
        u.certificates.add(_stored("1", number="N-1"))
        u.certificates.add(_stored("2"))
        u.certificates.append(Event("cert_1", 1, EventKind.APPLIED, T0, None, {}))
        u.commit()
    with uow() as u, pytest.raises(Conflict, match="changed by someone else"):
        u.certificates.save(replace(_stored("1", number="N-1"), version=3))
    with uow() as u, pytest.raises(Conflict, match="already issued a certificate numbered N-1"):
        u.certificates.save(replace(_stored("2"), number="N-1", version=2))
    with uow() as u, pytest.raises(Conflict):
        u.certificates.append(Event("cert_1", 1, EventKind.ISSUED, T0, None, {}))
    with uow() as u:
        assert u.certificates.get("cert_2").number is None
        assert len(u.certificates.events("cert_1")) == 1


def test_certificates_are_read_saved_and_recorded_many_at_once(uow):
    """What issuing a batch uses: several read in one query, saved and given their events
    and audit entries in one statement each, all or nothing."""
    from dataclasses import replace

    from opencustoms.certificates.lifecycle import Event, EventKind, Status
    from opencustoms.platform.audit import AuditEvent

    with uow() as u:
        for i in "123":
            u.certificates.add(_stored(i))
        u.commit()
    with uow() as u:
        found = u.certificates.get_many(["cert_3", "cert_1", "cert_9", "cert_1"])
        assert sorted(r.id for r in found) == ["cert_1", "cert_3"]
        assert u.certificates.get_many([]) == []
        issued = [
            replace(r, status=Status.ISSUED, number=f"N-{r.id}", version=2)
            for r in sorted(found, key=lambda r: r.id)
        ]
        u.certificates.save_many(issued)
        u.certificates.append_many(
            [Event(r.id, 2, EventKind.ISSUED, T0, None, {"number": r.number}) for r in issued]
        )
        u.audit.append_many(
            [
                AuditEvent(
                    f"aud_{r.id}", T0, "certificate.issued", "certificate", r.id, None, None, None
                )
                for r in issued
            ]
        )
        u.commit()
    with uow() as u:
        assert [u.certificates.get(f"cert_{i}").number for i in "123"] == [
            "N-cert_1",
            None,
            "N-cert_3",
        ]
        assert [e.kind for e in u.certificates.events("cert_3")] == [EventKind.ISSUED]
        assert {e.object_id for e in u.audit.events(10)} == {"cert_1", "cert_3"}

    # one of them changed meanwhile, or one number taken: none is saved
    stale_one = [replace(_stored("2"), number="N-2", version=2), replace(issued[0], version=5)]
    with uow() as u, pytest.raises(Conflict, match="changed by someone else"):
        u.certificates.save_many(stale_one)
    taken = [replace(_stored("2"), number="N-cert_3", version=2)]
    with (
        uow() as u,
        pytest.raises(Conflict, match="already issued a certificate numbered N-cert_3"),
    ):
        u.certificates.save_many([*taken, replace(issued[0], version=3)])
    with uow() as u, pytest.raises(Conflict):
        u.certificates.append_many(
            [
                Event("cert_2", 2, EventKind.ISSUED, T0, None, {}),
                Event("cert_3", 2, EventKind.ISSUED, T0, None, {}),
            ]
        )
    with uow() as u:
        assert u.certificates.get("cert_2").number is None
        assert u.certificates.events("cert_2") == []


def test_number_sequences_run_per_authority_and_scope(uow):
    with uow() as u:
        taken = [u.certificates.next_in_sequence("KR-KCS", "2026") for _ in range(3)]
        taken.append(u.certificates.next_in_sequence("KR-KCCI", "2026"))
        taken.append(u.certificates.next_in_sequence("KR-KCS", "2027"))
        u.commit()
    assert taken == [1, 2, 3, 1, 1]
    with uow() as u:
        # several taken at once: the last is returned
        assert u.certificates.next_in_sequence("KR-KCS", "2026", 3) == 6
        assert u.certificates.next_in_sequence("KR-KCS", "2028", 5) == 5
        with pytest.raises(ValueError, match="at least one"):
            u.certificates.next_in_sequence("KR-KCS", "2026", 0)
        # not committed: the numbers are not used up
    with uow() as u:
        assert u.certificates.next_in_sequence("KR-KCS", "2026") == 4
        # not committed: the number is not used up
    with uow() as u:
        assert u.certificates.next_in_sequence("KR-KCS", "2026") == 4


def test_partners_round_trip_and_refuse_stale_and_taken(uow):
    from dataclasses import replace

    from opencustoms.exchange.partners import read_partner

    vietnam = read_partner(
        {
            "node": "VN-NODE",
            "country": "VN",
            "name": "Vietnam Customs",
            "url": "https://vn.example",
            "links": [{"agreement": "rcep", "messages": ["ack"], "reply_days": 90}],
        },
        {"rcep"},
        T0,
    )
    china = replace(vietnam, node="CN-NODE", country="CN", active=False)
    with uow() as u:
        u.partners.add(vietnam)
        u.partners.add(china)
        u.commit()
    with uow() as u:
        assert u.partners.get("VN-NODE") == vietnam
        assert u.partners.get("JP-NODE") is None
        assert [p.node for p in u.partners.all()] == ["CN-NODE", "VN-NODE"]
        assert [p.node for p in u.partners.all(active_only=True)] == ["VN-NODE"]
        u.partners.save(replace(vietnam, url="https://vn2.example", version=2))
        u.commit()
    with uow() as u, pytest.raises(Conflict, match="is a partner already"):
        u.partners.add(vietnam)
    with uow() as u, pytest.raises(Conflict, match="changed by someone else"):
        u.partners.save(replace(vietnam, version=2))
    with uow() as u:
        assert u.partners.get("VN-NODE").url == "https://vn2.example"


def test_the_outbox_keeps_messages_in_order_per_receiver_and_certificate(uow):
    from opencustoms.exchange.envelope import Envelope
    from opencustoms.exchange.outbox import Delivery, Outgoing

    def outgoing(i, receiver="JP-NODE", number="N-1", seq=None):
        payload = {"authority": "KR-KCS", "number": number, "revoked_at": "2026-06-02T03:00:00Z"}
        envelope = Envelope(
            f"msg_{i}", "certificate.revoked", 1, "KR-NODE", receiver, T0, payload, None, seq
        )
        at = T0.replace(minute=int(i))
        return Outgoing(envelope, at, at)

    with uow() as u:
        # numbers are taken from a counter per receiver and certificate, held by the
        # transaction; a certificate just issued starts its counters in one statement
        u.outbox.start_sequences([("JP-NODE", "KR-KCS/N-1"), ("VN-NODE", "KR-KCS/N-1")])
        assert u.outbox.next_sequence("JP-NODE", "KR-KCS/N-1") == 2
        assert u.outbox.next_sequence("JP-NODE", "KR-KCS/N-2") == 1
        u.outbox.add_many(
            [outgoing("1", seq=1), outgoing("2", seq=2), outgoing("3", receiver="VN-NODE", seq=1)]
        )
        u.outbox.add(outgoing("4", number="N-2", seq=1))
        u.commit()
    with uow() as u:
        assert u.outbox.next_sequence("JP-NODE", "KR-KCS/N-1") == 3
        assert u.outbox.next_sequence("VN-NODE", "KR-KCS/N-1") == 2
        # not committed: not used up
    with uow() as u:
        assert u.outbox.next_sequence("JP-NODE", "KR-KCS/N-1") == 3
        assert [o.envelope.id for o in u.outbox.all()] == ["msg_1", "msg_2", "msg_3", "msg_4"]
        assert [o.envelope.id for o in u.outbox.all(receiver="VN-NODE")] == ["msg_3"]
        pending = u.outbox.all(state=Delivery.PENDING, limit=2)
        assert [o.envelope.id for o in pending] == ["msg_1", "msg_2"]
        assert u.outbox.all(state=Delivery.DEAD) == []
        assert u.outbox.all()[0] == outgoing("1", seq=1)
    with uow() as u, pytest.raises(Conflict, match="exists already"):  # one place, one message
        u.outbox.add(outgoing("5", seq=2))
    with uow() as u, pytest.raises(Conflict, match="numbered already"):
        u.outbox.start_sequences([("JP-NODE", "KR-KCS/N-2")])
    with uow() as u:
        assert len(u.outbox.all()) == 4


def test_the_inbox_keeps_a_message_once_and_its_senders_order(uow):
    from opencustoms.exchange.envelope import Envelope
    from opencustoms.exchange.inbox import Incoming, Reception
    from opencustoms.kernel.errors import Finding

    def incoming(i, seq, sender="KR-NODE", state=Reception.HELD, reasons=()):
        payload = {"authority": "KR-KCS", "number": "N-1", "revoked_at": "2026-06-02T03:00:00Z"}
        envelope = Envelope(
            f"msg_{i}", "certificate.revoked", 1, sender, "JP-NODE", T0, payload, None, seq
        )
        return Incoming(envelope, f"digest-{i}", T0.replace(minute=int(i)), state, reasons)

    why = Finding("exchange.rejected", "held: message %(expected)s", {"expected": 1}, "seq")
    with uow() as u:
        assert u.inbox.expected("KR-NODE", "KR-KCS/N-1") == 1
        u.inbox.add(incoming("2", 2, reasons=(why,)))
        u.inbox.add(incoming("3", 1, sender="CN-NODE"))  # ids and order are per sender
        u.commit()
    with uow() as u, pytest.raises(Conflict, match="received meanwhile"):
        u.inbox.add(incoming("2", 2))
    with uow() as u:
        kept = u.inbox.get("KR-NODE", "msg_2")
        assert kept == incoming("2", 2, reasons=(why,))
        assert kept.reasons[0].render() == "held: message 1"
        assert u.inbox.get("CN-NODE", "msg_2") is None
        assert u.inbox.held("KR-NODE", "KR-KCS/N-1", 2) == kept
        assert u.inbox.held("KR-NODE", "KR-KCS/N-1", 1) is None
        u.inbox.add(incoming("1", 1))
        u.inbox.save(
            replace(u.inbox.get("KR-NODE", "msg_1"), state=Reception.APPLIED, applied_at=T0)
        )
        u.inbox.advance("KR-NODE", "KR-KCS/N-1", 1)
        assert u.inbox.expected("KR-NODE", "KR-KCS/N-1") == 2
        u.inbox.save(replace(kept, state=Reception.APPLIED, reasons=(), applied_at=T0))
        u.inbox.advance("KR-NODE", "KR-KCS/N-1", 2)
        u.commit()
    with uow() as u:
        assert u.inbox.expected("KR-NODE", "KR-KCS/N-1") == 3
        assert u.inbox.expected("CN-NODE", "KR-KCS/N-1") == 1
        assert u.inbox.held("KR-NODE", "KR-KCS/N-1", 2) is None  # applied now
        assert [i.envelope.id for i in u.inbox.all(sender="KR-NODE")] == ["msg_2", "msg_1"]
        assert [i.envelope.id for i in u.inbox.all(state=Reception.HELD)] == ["msg_3"]
        assert u.inbox.get("KR-NODE", "msg_1").applied_at == T0
    with uow() as u, pytest.raises(Conflict, match="applied meanwhile"):
        u.inbox.advance("KR-NODE", "KR-KCS/N-1", 2)  # another transaction applied it
    with uow() as u, pytest.raises(Conflict, match="applied meanwhile"):
        u.inbox.advance("KR-NODE", "KR-KCS/N-1", 1)


def test_received_certificates_round_trip_and_refuse_stale_and_taken(uow):
    from opencustoms.certificates.received import ReceivedCertificate, ReceivedStatus

    def received(number, at=T0, sender="KR-NODE"):
        return ReceivedCertificate(
            authority="KR-KCS",
            number=number,
            sender=sender,
            form="rcep-co",
            export_country="KR",
            import_country="JP",
            issued_on=T0.date(),
            document={"certificate": {"number": number}, "jws": "a.b.c"},
            payload_sha256="ab" * 32,
            received_at=at,
            message_id=f"msg_{number}",
        )

    with uow() as u:
        u.received.add(received("N-1"))
        u.received.add(received("N-2", T0.replace(minute=5), sender="CN-NODE"))
        u.commit()
    with uow() as u, pytest.raises(Conflict, match="received meanwhile"):
        u.received.add(received("N-1"))
    with uow() as u:
        assert u.received.get("KR-KCS", "N-1") == received("N-1")
        assert u.received.get("KR-KCS", "N-9") is None
        assert [r.number for r in u.received.find()] == ["N-2", "N-1"]
        assert [r.number for r in u.received.find(sender="KR-NODE")] == ["N-1"]
        revoked = replace(received("N-1"), status=ReceivedStatus.REVOKED, revoked_at=T0, version=2)
        u.received.save(revoked)
        u.commit()
    with uow() as u:
        assert u.received.get("KR-KCS", "N-1") == revoked
        assert u.received.get("KR-KCS", "N-1").record.status == "revoked"
    with uow() as u, pytest.raises(Conflict, match="changed meanwhile"):
        u.received.save(replace(received("N-1"), status=ReceivedStatus.REPLACED, version=2))


def test_outbox_claims_lease_due_messages_in_order_and_settle_only_under_their_claim(uow):
    from datetime import timedelta

    from opencustoms.exchange.delivery import RetryPolicy, attempted, redriven
    from opencustoms.exchange.envelope import Envelope
    from opencustoms.exchange.outbox import Delivery, Outgoing

    def outgoing(i, number="N-1", seq=None, receiver="JP-NODE", at=T0):
        payload = {"authority": "KR-KCS", "number": number, "revoked_at": "2026-06-02T03:00:00Z"}
        envelope = Envelope(
            f"msg_{i}", "certificate.revoked", 1, "KR-NODE", receiver, at, payload, None, seq
        )
        return Outgoing(envelope, at.replace(second=int(i)), at)

    policy, later = RetryPolicy(max_attempts=2), T0 + timedelta(minutes=1)
    with uow() as u:
        u.outbox.add_many(
            [
                outgoing("1", seq=1),
                outgoing("2", seq=2),  # waits for msg_1
                outgoing("3", number="N-2", seq=1),
                outgoing("4", number="N-3", seq=1, at=T0 + timedelta(hours=1)),  # not due
                outgoing("5", seq=1, receiver="VN-NODE"),
            ]
        )
        u.commit()
    with uow() as u:
        claimed = u.outbox.claim(T0, later, "claim_a", 10)
        u.commit()
    assert [o.envelope.id for o in claimed] == ["msg_1", "msg_3", "msg_5"]
    with uow() as u:
        assert u.outbox.claim(T0, later, "claim_b", 10) == []  # all leased to a
        u.commit()
    with uow() as u:
        first, third, fifth = claimed
        assert u.outbox.settle(attempted(first, T0, policy, 0.0, delivered=True), "claim_a")
        assert not u.outbox.settle(attempted(third, T0, policy, 0.0), "claim_b")  # not b's
        assert u.outbox.settle(attempted(third, T0, policy, 0.0, error="refused"), "claim_a")
        assert u.outbox.settle(
            attempted(fifth, T0, policy, 0.0, final=True, error="bad"), "claim_a"
        )
        u.commit()
    with uow() as u:
        # msg_2 is free now that msg_1 is delivered; msg_3 retries after its backoff
        assert [o.envelope.id for o in u.outbox.claim(T0, later, "claim_b", 10)] == ["msg_2"]
        assert u.outbox.get("msg_3").next_attempt_at == T0 + timedelta(seconds=1)
        assert u.outbox.get("msg_3").last_error == "refused"
        u.commit()
    with uow() as u:
        # a lease that ran out is taken by the next claimant
        # msg_2's lease lasts to `later` inclusive; msg_3's retry is due
        after = later + timedelta(seconds=1)
        assert [o.envelope.id for o in u.outbox.claim(later, after, "claim_c", 10)] == ["msg_3"]
        assert [o.envelope.id for o in u.outbox.claim(after, after, "claim_d", 10)] == ["msg_2"]
        dead = u.outbox.get("msg_5")
        assert (dead.state, dead.last_error) == (Delivery.DEAD, "bad")
        assert u.outbox.get("msg_9") is None
        assert not u.outbox.redrive(redriven(u.outbox.get("msg_1"), later))  # not dead
        assert u.outbox.redrive(redriven(dead, later))
        u.commit()
    with uow() as u:
        back = u.outbox.get("msg_5")
        assert (back.state, back.attempts, back.next_attempt_at) == (Delivery.PENDING, 0, later)


def test_verifications_round_trip_per_side_and_refuse_stale(uow):
    from datetime import date

    from opencustoms.exchange.verification import CaseState, Side, Verification

    def case(i, side=Side.ASKED, at=T0):
        return Verification(
            id=f"msg_{i}",
            side=side,
            partner="KR-NODE",
            authority="KR-KCS",
            number="N-1",
            questions=("Where were the castings made?",),
            documents=("bill of materials",),
            reply_by=date(2026, 12, 1),
            requested_at=at,
        )

    with uow() as u:
        u.verifications.add(case("1"))
        u.verifications.add(case("1", Side.ASKED_OF_US))  # a node may hold both sides
        u.verifications.add(case("2", at=T0.replace(minute=5)))
        u.commit()
    with uow() as u, pytest.raises(Conflict, match="recorded already"):
        u.verifications.add(case("1"))
    with uow() as u:
        assert u.verifications.get("msg_1", Side.ASKED) == case("1")
        assert u.verifications.get("msg_9", Side.ASKED) is None
        assert [c.id for c in u.verifications.find(side=Side.ASKED)] == ["msg_2", "msg_1"]
        answered = replace(
            case("1"),
            state=CaseState.ANSWERED,
            outcome="partially",
            findings=("item 2",),
            answered_at=T0,
            response_id="msg_r",
            version=2,
        )
        u.verifications.save(answered)
        u.commit()
    with uow() as u:
        assert u.verifications.get("msg_1", Side.ASKED) == answered
        assert [c.id for c in u.verifications.find(open_only=True)] == ["msg_2", "msg_1"]
        assert u.verifications.find(side=Side.ASKED, open_only=True)[0].id == "msg_2"
    with uow() as u, pytest.raises(Conflict, match="changed meanwhile"):
        u.verifications.save(replace(case("1"), version=2))


def test_acknowledgements_resends_counts_and_gaps(uow):
    from datetime import timedelta

    from opencustoms.exchange.envelope import Envelope
    from opencustoms.exchange.inbox import Incoming, Reception
    from opencustoms.exchange.outbox import Delivery, Outgoing

    payload = {"authority": "KR-KCS", "number": "N-1", "revoked_at": "2026-06-02T03:00:00Z"}

    def envelope(i, sender="KR-NODE", receiver="JP-NODE", seq=1):
        return Envelope(
            f"msg_{i}", "certificate.revoked", 1, sender, receiver, T0, payload, None, seq
        )

    with uow() as u:
        u.outbox.add(Outgoing(envelope("1"), T0, T0, Delivery.DELIVERED, 1))
        u.outbox.add(Outgoing(envelope("2", seq=2), T0 + timedelta(seconds=1), T0))
        u.inbox.add(
            Incoming(
                envelope("3", sender="CN-NODE", receiver="KR-NODE", seq=2), "d", T0, Reception.HELD
            )
        )
        u.commit()
    with uow() as u:
        assert u.outbox.acknowledge("msg_1", "JP-NODE", "rejected", ["bad signature"], T0)
        assert not u.outbox.acknowledge("msg_1", "VN-NODE", "accepted", [], T0)  # not VN's
        assert u.outbox.counts() == {
            Delivery.DELIVERED: (1, T0),
            Delivery.PENDING: (1, T0 + timedelta(seconds=1)),
        }
        assert u.inbox.counts() == {Reception.HELD: 1}
        later = T0 + timedelta(minutes=2)
        assert u.inbox.gaps(T0, T0) == []  # held since T0: not before it
        assert u.inbox.gaps(later, later) == [("CN-NODE", "KR-KCS/N-1")]
        u.inbox.pulled("CN-NODE", "KR-KCS/N-1", later)
        assert u.inbox.gaps(later, later) == []  # pulled now
        assert u.inbox.gaps(later, later + timedelta(seconds=1)) == [("CN-NODE", "KR-KCS/N-1")]
        assert u.outbox.resend("JP-NODE", "KR-KCS/N-1", later) == 1  # the delivered one
        assert u.outbox.resend("VN-NODE", "KR-KCS/N-1", later) == 0
        u.commit()
    with uow() as u:
        again = u.outbox.get("msg_1")
        assert (again.state, again.attempts, again.next_attempt_at) == (Delivery.PENDING, 0, later)
        assert (again.ack_outcome, again.ack_reasons, again.acknowledged_at) == (
            "rejected",
            ("bad signature",),
            T0,
        )


def test_old_ids_are_forgotten_and_old_deliveries_archived(uow):
    from datetime import timedelta

    from opencustoms.exchange.envelope import Envelope
    from opencustoms.exchange.inbox import Incoming, Reception
    from opencustoms.exchange.outbox import Delivery, Outgoing

    payload = {"authority": "KR-KCS", "number": "N-1", "revoked_at": "2026-06-02T03:00:00Z"}

    def envelope(i, seq=1):
        return Envelope(
            f"msg_{i}", "certificate.revoked", 1, "KR-NODE", "JP-NODE", T0, payload, None, seq
        )

    later = T0 + timedelta(days=8)
    with uow() as u:
        u.inbox.add(Incoming(envelope("1"), "d", T0, Reception.APPLIED))
        u.inbox.add(Incoming(envelope("2", 3), "d", T0, Reception.HELD))  # still waiting
        u.inbox.add(Incoming(envelope("3"), "d", later, Reception.APPLIED))
        u.outbox.add(Outgoing(envelope("4"), T0, T0, Delivery.DELIVERED, 1))
        u.outbox.add(Outgoing(envelope("5", 2), T0, T0, Delivery.DEAD, 30))  # for an operator
        u.commit()
    with uow() as u:
        assert u.inbox.forget(T0 + timedelta(days=7)) == 1
        assert u.outbox.archive(T0 + timedelta(days=7)) == 1
        u.commit()
    with uow() as u:
        assert sorted(i.envelope.id for i in u.inbox.all()) == ["msg_2", "msg_3"]
        assert [o.envelope.id for o in u.outbox.all()] == ["msg_5"]
