"""Certificates over the API: an exporter applies and tracks, an issuing officer issues,
replaces and revokes, anyone verifies; each sees only what is theirs to see."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from opencustoms.accounts.domain import OrgKind, Role
from opencustoms.trust.keys import Algorithm

PROBLEM = "application/problem+json"
SAMPLE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
)


@pytest.fixture
def application(services):
    data = copy.deepcopy(SAMPLE)
    for k in ("number", "certification", "issue_date", "issue_place", "replaces"):
        data.pop(k)
    data["transport"]["departure_date"] = services.certificates.today().isoformat()
    return data


@pytest.fixture
def actors(services, make_actor):
    services.keys.create(
        "KR-KCS", "KR", ["rcep"], Algorithm.ED25519, date(2020, 1, 1), "a long operator passphrase"
    )
    return {
        "exporter": make_actor(OrgKind.EXPORTER, Role.EXPORTER, "KR"),
        "other_exporter": make_actor(OrgKind.EXPORTER, Role.EXPORTER, "KR"),
        "officer": make_actor(OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER, "KR"),
        "foreign_officer": make_actor(OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER, "JP"),
        "importer": make_actor(OrgKind.IMPORTER, Role.IMPORTER, "JP"),
    }


def test_apply_issue_track_verify_and_print(client, actors, application):
    exporter, officer = actors["exporter"], actors["officer"]
    r = client.post("/api/v1/certificates", json=application, headers=exporter.headers)
    assert r.status_code == 201, r.text
    applied = r.json()
    assert applied["status"] == "applied"
    cid = applied["id"]

    r = client.post(
        f"/api/v1/certificates/{cid}/issue", json={"place": "Busan"}, headers=officer.headers
    )
    assert r.status_code == 200, r.text
    number = r.json()["number"]
    assert number.startswith("KR-KCS-")

    track = client.get(f"/api/v1/certificates/{number}", headers=exporter.headers).json()
    assert track["status"] == "issued"
    assert [e["kind"] for e in track["history"]] == ["drafted", "applied", "issued"]
    assert track["certificate"]["certification"]["officer"] == "issuing_officer user"
    mine = client.get("/api/v1/certificates", headers=exporter.headers).json()
    assert [c["id"] for c in mine] == [cid]

    signed = client.get(f"/api/v1/certificates/{cid}/signed", headers=exporter.headers).json()
    verdict = client.post("/api/v1/verify", json=signed).json()  # no token: public
    assert verdict["valid"] is True
    assert {c["name"]: c["outcome"] for c in verdict["checks"]}["status"] == "ok"

    pdf = client.get(f"/api/v1/certificates/{cid}/pdf", headers=exporter.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    amended = copy.deepcopy(application)
    amended["items"] = amended["items"][:4]
    r = client.post(
        f"/api/v1/certificates/{number}/replace",
        json={"certificate": amended, "reason": "item 5 shipped later", "place": "Busan"},
        headers=officer.headers,
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["replaces_id"] == cid
    verdict = client.post("/api/v1/verify", json=signed).json()
    assert verdict["valid"] is False
    assert new["number"] in {c["name"]: c["reason"] for c in verdict["checks"]}["status"]

    r = client.post(
        f"/api/v1/certificates/{new['number']}/revoke",
        json={"reason": "fraud"},
        headers=officer.headers,
    )
    assert r.json()["status"] == "revoked"


def test_who_sees_and_acts(client, actors, application):
    exporter = actors["exporter"]
    cid = client.post("/api/v1/certificates", json=application, headers=exporter.headers).json()[
        "id"
    ]
    for outsider in ("other_exporter", "foreign_officer"):
        r = client.get(f"/api/v1/certificates/{cid}", headers=actors[outsider].headers)
        assert r.status_code == 404, outsider
        assert r.headers["content-type"] == PROBLEM
    r = client.post(
        f"/api/v1/certificates/{cid}/issue",
        json={"place": "Tokyo"},
        headers=actors["foreign_officer"].headers,
    )
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/certificates/{cid}/issue", json={"place": "Busan"}, headers=exporter.headers
    )
    assert r.status_code == 403
    r = client.post("/api/v1/certificates", json=application, headers=actors["importer"].headers)
    assert r.status_code == 403
    assert client.get("/api/v1/certificates", headers=actors["other_exporter"].headers).json() == []


def test_bad_input_is_a_problem_with_every_finding(client, actors, application):
    exporter = actors["exporter"]
    r = client.post(
        "/api/v1/certificates",
        content=b"{not json",
        headers={**exporter.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    broken = copy.deepcopy(application)
    del broken["declaration"]
    broken["items"][0]["hs"] = "84x"
    r = client.post("/api/v1/certificates", json=broken, headers=exporter.headers)
    assert r.status_code == 400
    body = json.dumps(r.json())
    assert "items[0].hs" in body
    assert client.get("/api/v1/certificates", headers=exporter.headers).json() == []
    r = client.post("/api/v1/verify", content=b"[]")
    assert r.status_code == 200
    assert r.json()["valid"] is False
    assert r.json()["checks"][0]["outcome"] == "failed"


def test_hostile_bodies_get_a_problem_not_a_crash(client, actors):
    exporter = actors["exporter"]
    for body in (b"\xff\xfe not utf-8", b"[" * 100_000 + b"]" * 100_000):
        r = client.post(
            "/api/v1/certificates",
            content=body,
            headers={**exporter.headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == PROBLEM


def test_the_public_page_refuses_odd_numbers_and_hides_reasons(client, actors, application):
    exporter, officer = actors["exporter"], actors["officer"]
    cid = client.post("/api/v1/certificates", json=application, headers=exporter.headers).json()[
        "id"
    ]
    number = client.post(
        f"/api/v1/certificates/{cid}/issue", json={"place": "Busan"}, headers=officer.headers
    ).json()["number"]
    client.post(
        f"/api/v1/certificates/{number}/revoke",
        json={"reason": "invoice INV-7 forged"},
        headers=officer.headers,
    )
    page = client.get(f"/verify/KR-KCS/{number}")
    assert "revoked by its issuing authority" in page.text
    assert "INV-7" not in page.text
    signed = client.get(f"/api/v1/certificates/{cid}/signed", headers=exporter.headers).json()
    assert "INV-7" not in client.post("/api/v1/verify", json=signed).text
    r = client.get("/verify", params={"number": "a/b", "authority": "KR-KCS"})
    assert r.status_code == 400
    assert "is not a certificate number" in r.text


def test_an_officer_issues_a_queue_of_applications_together(client, actors, application):
    exporter, officer = actors["exporter"], actors["officer"]
    ids = [
        client.post("/api/v1/certificates", json=application, headers=exporter.headers).json()["id"]
        for _ in range(3)
    ]
    r = client.post(
        "/api/v1/certificates/issue",
        json={"ids": [ids[0], ids[0]], "place": "Busan"},
        headers=officer.headers,
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    r = client.post(
        "/api/v1/certificates/issue", json={"ids": ids, "place": "Busan"}, headers=officer.headers
    )
    assert r.status_code == 200, r.text
    issued = r.json()
    assert [c["id"] for c in issued] == ids
    assert [c["number"][-6:] for c in issued] == ["000001", "000002", "000003"]
    assert {c["status"] for c in issued} == {"issued"}
    r = client.post(
        "/api/v1/certificates/issue",
        json={"ids": ids[:2], "place": "Busan"},
        headers=officer.headers,
    )  # issued already: both named, nothing changes
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    assert ids[0] in r.text
    assert ids[1] in r.text
    r = client.post(
        "/api/v1/certificates/issue", json={"ids": ids, "place": "Busan"}, headers=exporter.headers
    )
    assert r.status_code == 403
