"""The certificate lifecycle on the in-memory store: apply, issue, reject, replace,
revoke, certified true copies and utilization, with history and who may act."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from opencustoms.accounts.domain import Account, Organisation, OrgKind, Principal, Role
from opencustoms.accounts.service import Context
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import read_certificate
from opencustoms.certificates.lifecycle import (
    DEFAULT_NUMBER_FORMAT,
    EventKind,
    Outcome,
    Status,
    Utilization,
)
from opencustoms.certificates.service import CertificateService
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import FixedClock, zone
from opencustoms.kernel.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from opencustoms.testing.fakes import in_memory_uow
from opencustoms.trust.keys import Algorithm
from opencustoms.trust.service import AuthorityKeys

PASS = "correct horse battery"
OPERATOR = Context(None)
SAMPLE = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
)
ISSUE_DAY = date(2026, 6, 2)
APPLICATION = read_certificate(
    {
        k: v
        for k, v in SAMPLE.items()
        if k not in {"number", "certification", "issue_date", "issue_place", "replaces"}
    }
)


@pytest.fixture
def world(tmp_path):
    uow, state = in_memory_uow()
    clock = FixedClock(datetime(2026, 6, 2, 3, 0, tzinfo=UTC))  # noon in Seoul
    keys = AuthorityKeys(uow, clock, tmp_path / "keys")
    key = keys.create("KR-KCS", "KR", ["rcep"], Algorithm.ED25519, date(2026, 1, 1), PASS)
    service = CertificateService(
        uow,
        clock,
        shipped_forms(),
        keys.private_pem,
        lambda: PASS,
        zone("Asia/Seoul"),
        DEFAULT_NUMBER_FORMAT,
    )
    return service, keys, key, clock, state


def _issued(service):
    applied = service.apply(OPERATOR, APPLICATION)
    return service.issue(OPERATOR, applied.id, "Lee Seo-yeon", "Busan")


def _principal(kind, role, country="KR", org="org_x"):
    org_ = Organisation(org, "Org", kind, Country(country), datetime(2026, 1, 1, tzinfo=UTC))
    account = Account(f"acc_{org}", org, "Kim", frozenset({role}), datetime(2026, 1, 1, tzinfo=UTC))
    return Context(Principal(account, org_))


def test_apply_issue_and_verify_with_the_full_history(world):
    service, _keys, key, _clock, state = world
    applied = service.apply(OPERATOR, APPLICATION)
    assert applied.status is Status.APPLIED
    assert applied.number is None
    issued = service.issue(OPERATOR, applied.id, "Lee Seo-yeon", "Busan")
    assert issued.status is Status.ISSUED
    assert issued.number == "KR-KCS-2026-000001"
    assert issued.certificate.issue_date == ISSUE_DAY
    assert issued.certificate.certification.officer == "Lee Seo-yeon"
    assert not issued.certificate.remarks.issued_retroactively
    verdict = service.verify(json.dumps(issued.signed), date(2026, 7, 1))
    assert verdict.valid, [c.render() for c in verdict.checks]
    assert verdict.check("status").ok  # online: this node's register answers
    history = service.history(OPERATOR, issued.number)
    assert [e.kind for e in history] == [EventKind.DRAFTED, EventKind.APPLIED, EventKind.ISSUED]
    assert history[-1].details["kid"] == key.kid
    assert history[-1].details["payload_sha256"] == issued.payload_sha256
    assert [a.action for a in state.audit][-3:] == [
        "certificate.drafted",
        "certificate.applied",
        "certificate.issued",
    ]
    second = _issued(service)
    assert second.number == "KR-KCS-2026-000002"
    assert service.get(OPERATOR, "KR-KCS-2026-000002").id == second.id


def test_an_application_leaves_out_what_the_authority_gives_and_meets_the_form(world):
    service, *_ = world
    with pytest.raises(InvalidInput) as e:
        service.apply(OPERATOR, read_certificate(SAMPLE))
    fields = {f.field for f in e.value.findings}
    assert {"number", "certification", "issue_date", "replaces"} <= fields
    incomplete = replace(APPLICATION, declaration=None)
    with pytest.raises(InvalidInput) as e:
        service.apply(OPERATOR, incomplete)
    assert [f.field for f in e.value.findings] == ["declaration"]
    draft = service.apply(OPERATOR, incomplete, draft=True)
    assert draft.status is Status.DRAFT
    with pytest.raises(InvalidInput):
        service.submit(OPERATOR, draft.id)
    with pytest.raises(InvalidInput, match="'akfta-xx' is not a certificate form"):
        service.apply(OPERATOR, replace(APPLICATION, form="akfta-xx"))


def test_issued_after_shipment_is_marked_retroactive(world):
    service, _keys, _key, clock, _state = world
    clock.advance(timedelta(days=30))  # shipped 2026-06-03, issued 2026-07-02
    issued = _issued(service)
    assert issued.certificate.remarks.issued_retroactively
    assert issued.signed["certificate"]["remarks"]["issued_retroactively"] is True
    applied = service.apply(OPERATOR, APPLICATION)
    clock.advance(timedelta(days=400))  # more than RCEP's one year after shipment
    with pytest.raises(InvalidInput, match="at most 12 months after shipment"):
        service.issue(OPERATOR, applied.id, "Lee", "Busan")
    assert service.get(OPERATOR, applied.id).status is Status.APPLIED  # nothing written


def test_statuses_move_only_as_the_lifecycle_allows(world):
    service, *_ = world
    issued = _issued(service)
    with pytest.raises(Conflict, match="is issued: it cannot be issued"):
        service.issue(OPERATOR, issued.id, "Lee", "Busan")
    with pytest.raises(Conflict):
        service.reject(OPERATOR, issued.id, "late")
    rejected = service.reject(OPERATOR, service.apply(OPERATOR, APPLICATION).id, "no evidence")
    assert (rejected.status, rejected.reason) == (Status.REJECTED, "no evidence")
    with pytest.raises(Conflict):
        service.revoke(OPERATOR, rejected.id, "x")
    with pytest.raises(InvalidInput, match="Say why"):
        service.revoke(OPERATOR, issued.id, "  ")


def test_revoked_and_replaced_certificates_fail_their_status(world):
    service, *_ = world
    first = _issued(service)
    revoked = service.revoke(OPERATOR, first.id, "goods found not originating")
    verdict = service.verify(first.signed, date(2026, 7, 1))
    assert not verdict.valid
    assert "goods found not originating" in verdict.check("status").render()
    assert revoked.status is Status.REVOKED

    second = _issued(service)
    amended = replace(APPLICATION, items=APPLICATION.items[:4])
    new = service.replace(OPERATOR, second.id, amended, "item 5 shipped separately", "Lee", "Busan")
    assert new.number == "KR-KCS-2026-000003"
    assert new.certificate.replaces == second.number
    assert new.replaces_id == second.id
    old = service.get(OPERATOR, second.id)
    assert (old.status, old.replaced_by_id) == (Status.REPLACED, new.id)
    old_verdict = service.verify(second.signed, date(2026, 7, 1))
    assert "replaced by certificate KR-KCS-2026-000003" in old_verdict.check("status").render()
    assert service.verify(new.signed, date(2026, 7, 1)).valid
    assert service.history(OPERATOR, second.id)[-1].details["by"] == new.number


def test_a_failed_replacement_changes_nothing(world):
    service, *_ = world
    issued = _issued(service)
    bad = replace(APPLICATION, declaration=None)
    with pytest.raises(InvalidInput):
        service.replace(OPERATOR, issued.id, bad, "amend", "Lee", "Busan")
    assert service.get(OPERATOR, issued.id).status is Status.ISSUED
    assert len(service.find(OPERATOR)) == 1


def test_a_certified_true_copy_keeps_number_and_date_and_verifies(world):
    service, *_ = world
    issued = _issued(service)
    copy = service.true_copy(OPERATOR, issued.id)
    assert copy["certificate"]["number"] == issued.number
    assert copy["certificate"]["issue_date"] == "2026-06-02"
    assert copy["certificate"]["remarks"]["certified_true_copy"] is True
    verdict = service.verify(copy, date(2026, 7, 1))
    assert verdict.valid
    assert verdict.check("status").ok
    assert service.get(OPERATOR, issued.id).status is Status.ISSUED


def test_a_compromised_key_still_vouches_for_what_this_node_issued_before(world):
    service, keys, key, clock, _state = world
    issued = _issued(service)
    clock.advance(timedelta(days=3))
    keys.revoke(key.kid, clock.now(), "laptop stolen")
    assert service.verify(issued.signed, date(2026, 7, 1)).valid  # issued here before T
    other_node = service.verify  # the same document, judged with no register of it
    from opencustoms.certificates.signed import verify

    trust = {k.kid: k for k in keys.keys("KR-KCS")}
    offline = verify(issued.signed, date(2026, 7, 1), trust, shipped_forms())
    assert "compromised" in offline.check("key").render()
    assert other_node is not None
    with pytest.raises(NotFound, match="has no key for rcep"):
        _issued(service)


def test_utilization_notices_are_recorded_without_changing_the_status(world):
    service, *_ = world
    issued = _issued(service)
    notice = Utilization("JP", Outcome.APPLIED, "JP-IMP-2026-77", date(2026, 6, 20))
    after = service.record_utilization(OPERATOR, "KR-KCS", issued.number, notice)
    assert after.status is Status.ISSUED
    last = service.history(OPERATOR, issued.id)[-1]
    assert (last.kind, last.details["outcome"], last.details["declaration"]) == (
        EventKind.UTILIZATION,
        "applied",
        "JP-IMP-2026-77",
    )
    with pytest.raises(NotFound):
        service.record_utilization(OPERATOR, "KR-KCS", "KR-KCS-2026-999999", notice)


def test_who_may_apply_see_and_issue(world):
    service, *_ = world
    exporter = _principal(OrgKind.EXPORTER, Role.EXPORTER, org="org_exp")
    other_exporter = _principal(OrgKind.EXPORTER, Role.EXPORTER, org="org_other")
    officer = _principal(OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER, org="org_kcs")
    foreign_officer = _principal(
        OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER, country="JP", org="org_jp"
    )
    importer = _principal(OrgKind.IMPORTER, Role.IMPORTER, org="org_imp")
    with pytest.raises(Forbidden):
        service.apply(importer, APPLICATION)
    applied = service.apply(exporter, APPLICATION)
    assert applied.organisation_id == "org_exp"
    assert [r.id for r in service.find(exporter)] == [applied.id]
    assert service.find(other_exporter) == []
    with pytest.raises(NotFound):
        service.get(other_exporter, applied.id)
    with pytest.raises(Forbidden):
        service.issue(exporter, applied.id, "Kim", "Changwon")
    with pytest.raises(NotFound):
        service.issue(foreign_officer, applied.id, "Sato", "Tokyo")
    issued = service.issue(officer, applied.id, "Lee", "Busan")
    assert service.history(officer, issued.id)[-1].actor_account_id == "acc_org_kcs"
    assert [r.id for r in service.find(officer)] == [applied.id]


def test_a_configured_number_format(world, tmp_path):
    service, keys, *_ = world
    from opencustoms.certificates.lifecycle import check_number_format

    custom = CertificateService(
        service._uow,
        service._clock,
        shipped_forms(),
        keys.private_pem,
        lambda: PASS,
        zone("Asia/Seoul"),
        "{authority}.{seq:04d}",
    )
    assert _issued(custom).number == "KR-KCS.0001"
    for bad in ("{authority}-{year}", "{seq:x}", "{who}-{seq}", "{seq", "{authority}/{seq}"):
        with pytest.raises(DomainError):
            check_number_format(bad)


def _determination(
    state, det_id, verdict="originating", criterion="CTH", org=None, agreement="rcep"
):
    from opencustoms.origin.records import StoredDetermination

    state.determinations[det_id] = StoredDetermination(
        id=det_id,
        supersedes=None,
        organisation_id=org,
        agreement=agreement,
        product_hs="8466.20",
        product_description="work holders for lathes",
        on_date=date(2026, 5, 1),
        verdict=verdict,
        criterion=criterion if verdict == "originating" else None,
        rule="CTH",
        bom={},
        result={},
        created_at=datetime(2026, 5, 1, tzinfo=UTC),
    )


def _from_determinations(*refs):
    data = json.loads(json.dumps(SAMPLE))
    for k in ("number", "certification", "issue_date", "issue_place", "replaces"):
        data.pop(k)
    data["items"] = [
        {"determination": ref, "quantity": "10", "origin_country": "KR", "fob_value": "100.00"}
        for ref in refs
    ]
    return data


def test_an_application_filled_from_determinations_links_its_evidence(world):
    service, *_rest, state = world
    _determination(state, "det_1")
    _determination(state, "det_2", criterion="CTH+RVC")
    applied = service.apply_document(OPERATOR, _from_determinations("det_1", "det_2"), "app.json")
    first, second = applied.certificate.items
    assert (first.hs, first.criterion, first.description) == (
        "846620",
        "CTC",  # RCEP Annex 3A note 5: a change in tariff classification is "CTC"
        "work holders for lathes",
    )
    assert second.criterion == "CTC+RVC"
    assert applied.determinations == {1: "det_1", 2: "det_2"}
    issued = service.issue(OPERATOR, applied.id, "Lee", "Busan")
    assert service.get(OPERATOR, issued.number).determinations == {1: "det_1", 2: "det_2"}


def test_only_an_originating_determination_of_ones_own_fills_an_item(world):
    service, *_rest, state = world
    _determination(state, "det_no", verdict="not_originating")
    _determination(state, "det_akfta", agreement="akfta")
    _determination(state, "det_other", org="org_other")
    with pytest.raises(InvalidInput) as e:
        service.apply_document(
            OPERATOR, _from_determinations("det_no", "det_akfta", "det_missing"), "app.json"
        )
    messages = [f.render() for f in e.value.findings]
    assert messages[0].startswith("items[0].determination: the determination det_no found")
    assert "is under akfta" in messages[1]
    assert "no kept determination of yours has the id det_missing" in messages[2]
    exporter = _principal(OrgKind.EXPORTER, Role.EXPORTER, org="org_exp")
    with pytest.raises(InvalidInput, match="no kept determination of yours has the id det_other"):
        service.apply_document(exporter, _from_determinations("det_other"), "app.json")
    conflicting = _from_determinations("det_other")
    conflicting["items"][0]["hs"] = "8471.30"
    with pytest.raises(InvalidInput, match="decided HS 846620"):
        service.apply_document(OPERATOR, conflicting, "app.json")
    assert service.find(OPERATOR) == []


def test_issue_seals_the_certificate_for_its_printed_qr_code(world):
    from opencustoms.certificates.seal import check_seal, claims

    service, keys, *_ = world
    issued = _issued(service)
    text = service.qr_text(issued)
    assert len(text) <= 400
    assert text.startswith("http://127.0.0.1:8000/verify/KR-KCS/KR-KCS-2026-000001#")
    checked = check_seal(text.split("#", 1)[1], {k.kid: k for k in keys.keys("KR-KCS")})
    assert checked.valid
    import base64

    body = issued.signed["jws"].split(".")[1]
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert checked.claims == claims(issued.number, "KR-KCS", ISSUE_DAY, payload)
    assert service.qr_text(service.apply(OPERATOR, APPLICATION)) is None  # not issued yet


def test_only_the_importing_countrys_customs_records_utilization(world):
    service, *_ = world
    issued = _issued(service)  # exported to JP
    notice = Utilization("JP", Outcome.DENIED, "JP-IMP-1", date(2026, 6, 20), "not originating")
    for outsider in (
        Context(Principal.public()),
        _principal(OrgKind.IMPORTER, Role.IMPORTER, country="JP", org="org_imp"),
        _principal(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER, country="VN", org="vn"),
    ):
        with pytest.raises(NotFound):
            service.record_utilization(outsider, "KR-KCS", issued.number, notice)
    japan = _principal(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER, "JP", "org_jcs")
    service.record_utilization(japan, "KR-KCS", issued.number, notice)
    with pytest.raises(InvalidInput, match="issued for imports into JP, not CN"):
        service.record_utilization(
            OPERATOR, "KR-KCS", issued.number, replace(notice, importing_country="CN")
        )
    kinds = [e.kind for e in service.history(OPERATOR, issued.id)]
    assert kinds.count(EventKind.UTILIZATION) == 1


def test_the_issue_date_cannot_precede_the_application(world):
    service, *_ = world
    applied = service.apply(OPERATOR, APPLICATION)  # applied on 2026-06-02, Seoul time
    with pytest.raises(InvalidInput, match="between the application"):
        service.issue(OPERATOR, applied.id, "Lee", "Busan", on=date(2026, 6, 1))
    with pytest.raises(InvalidInput):
        service.issue(OPERATOR, applied.id, "Lee", "Busan", on=date(2026, 6, 3))
    assert service.issue(OPERATOR, applied.id, "Lee", "Busan", on=ISSUE_DAY).number


def test_a_superseded_determination_names_its_successor(world):
    service, *_rest, state = world
    _determination(state, "det_old")
    _determination(state, "det_new", verdict="not_originating")
    state.determinations["det_new"] = replace(state.determinations["det_new"], supersedes="det_old")
    with pytest.raises(InvalidInput, match="re-run since, as det_new"):
        service.apply_document(OPERATOR, _from_determinations("det_old"), "app.json")


def test_no_one_but_an_exporter_learns_anything_from_an_application(world):
    service, *_rest, state = world
    _determination(state, "det_ops", verdict="not_originating")
    for caller in (
        Context(Principal.public()),
        _principal(OrgKind.IMPORTER, Role.IMPORTER, org="org_imp"),
    ):
        with pytest.raises(Forbidden):
            service.apply_document(caller, _from_determinations("det_ops"), "app.json")


def test_officers_see_applications_not_drafts(world):
    service, *_ = world
    exporter = _principal(OrgKind.EXPORTER, Role.EXPORTER, org="org_exp")
    officer = _principal(OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER, org="org_kcs")
    draft = service.apply(exporter, APPLICATION, draft=True)
    assert service.find(officer) == []
    with pytest.raises(NotFound):
        service.get(officer, draft.id)
    with pytest.raises(Forbidden):
        service.submit(officer, draft.id)
    service.submit(exporter, draft.id)
    assert [r.id for r in service.find(officer)] == [draft.id]


def test_a_replacement_keeps_the_evidence_of_unchanged_items_only(world):
    service, *_rest, state = world
    _determination(state, "det_1")
    _determination(state, "det_2")
    applied = service.apply_document(OPERATOR, _from_determinations("det_1", "det_2"), "app.json")
    issued = service.issue(OPERATOR, applied.id, "Lee", "Busan")
    first, second = issued.certificate.items
    amended = replace(
        issued.certificate,
        number=None,
        certification=None,
        issue_date=None,
        issue_place=None,
        items=(first, replace(second, hs="847989", description="something else")),
    )
    new = service.replace(OPERATOR, issued.id, amended, "second item was wrong", "Lee", "Busan")
    assert new.determinations == {1: "det_1"}


def test_applications_issued_together_are_numbered_in_order_all_or_none(world):
    service, _keys, _key, _clock, state = world
    ids = [service.apply(OPERATOR, APPLICATION).id for _ in range(3)]
    issued = service.issue_many(OPERATOR, [ids[2], ids[0], ids[1]], "Lee Seo-yeon", "Busan")
    assert [r.id for r in issued] == [ids[2], ids[0], ids[1]]
    assert [r.number for r in issued] == [f"KR-KCS-2026-00000{i}" for i in (1, 2, 3)]
    for record in issued:
        assert record.status is Status.ISSUED
        assert service.verify(json.dumps(record.signed), date(2026, 7, 1)).valid
        assert [e.kind for e in service.history(OPERATOR, record.id)][-1] is EventKind.ISSUED
    assert [a.action for a in state.audit].count("certificate.issued") == 3

    # one is issued already and one was rejected: none is issued, no number is used up,
    # and both are told, each naming its application
    fresh = service.apply(OPERATOR, APPLICATION).id
    bad = service.reject(OPERATOR, service.apply(OPERATOR, APPLICATION).id, "incomplete").id
    with pytest.raises(Conflict) as e:  # both conflict with the applications' state
        service.issue_many(OPERATOR, [fresh, issued[0].id, bad], "Lee Seo-yeon", "Busan")
    findings = e.value.findings
    assert {f.field for f in findings} == {issued[0].id, bad}
    assert all(f.code == "certificate.not_issued" for f in findings)
    assert {f.params["code"] for f in findings} == {"certificate.wrong_status"}
    assert "KR-KCS-2026-000001" in findings[0].render()
    assert service.get(OPERATOR, fresh).status is Status.APPLIED
    assert service.issue(OPERATOR, fresh, "Lee", "Busan").number == "KR-KCS-2026-000004"


def test_issuing_together_refuses_nothing_twice_too_many_and_others_work(world):
    service, *_ = world
    from opencustoms.certificates.service import MAX_ISSUED_AT_ONCE

    one = service.apply(OPERATOR, APPLICATION).id
    for ids, code in (
        ([], "certificate.nothing_to_issue"),
        ([one, one], "certificate.named_twice"),
        ([one] * (MAX_ISSUED_AT_ONCE + 1), "certificate.too_many_at_once"),
    ):
        with pytest.raises(InvalidInput) as e:
            service.issue_many(OPERATOR, ids, "Lee", "Busan")
        assert e.value.code == code
    with pytest.raises(NotFound):
        service.issue_many(OPERATOR, [one, "cert_missing"], "Lee", "Busan")
    officer = _principal(OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER, org="org_kcs")
    exporter = _principal(OrgKind.EXPORTER, Role.EXPORTER, org="org_exp")
    theirs = service.apply(exporter, APPLICATION).id
    with pytest.raises(Forbidden):
        service.issue_many(exporter, [theirs], "Kim", "Changwon")
    with pytest.raises(Forbidden):  # who may act is asked before what is asked
        service.issue(exporter, theirs, "Kim", "   ")
    with pytest.raises(InvalidInput, match="certifying officer"):
        service.issue_many(officer, [one, theirs], "Lee", " ")
    foreign = _principal(OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER, country="JP", org="jp")
    with pytest.raises(NotFound):  # not seen: one answer for absent and not yours
        service.issue_many(foreign, [one, theirs], "Sato", "Tokyo")
    assert [r.status for r in service.issue_many(officer, [one, theirs], "Lee", "Busan")] == [
        Status.ISSUED,
        Status.ISSUED,
    ]
