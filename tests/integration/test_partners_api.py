"""Partner nodes over the API: administrators register and change them, officers and
auditors read them, traders see nothing; every problem of a body is reported."""

from opencustoms.accounts.domain import OrgKind, Role

PROBLEM = "application/problem+json"
VIETNAM = {
    "node": "VN-NODE",
    "country": "VN",
    "name": "General Department of Vietnam Customs",
    "url": "http://127.0.0.1:8102",
    "links": [{"agreement": "rcep", "reply_days": 90}],
}


def test_administrators_manage_partners_and_officers_read_them(client, make_actor):
    admin = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    officer = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER)
    r = client.post("/api/v1/partners", json=VIETNAM, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["links"][0]["reply_days"] == 90
    r = client.post("/api/v1/partners", json=VIETNAM, headers=admin.headers)
    assert r.status_code == 409
    r = client.put(
        "/api/v1/partners/VN-NODE",
        json=VIETNAM | {"url": "http://127.0.0.1:8103"},
        headers=admin.headers,
    )
    assert r.json()["version"] == 2
    shown = client.get("/api/v1/partners/VN-NODE", headers=officer.headers).json()
    assert (shown["url"], shown["node_keys"]) == ("http://127.0.0.1:8103", [])
    r = client.post("/api/v1/partners/VN-NODE/deactivate", headers=admin.headers)
    assert r.json()["active"] is False
    listed = client.get("/api/v1/partners", headers=officer.headers).json()
    assert [(p["node"], p["active"]) for p in listed] == [("VN-NODE", False)]
    assert client.get("/api/v1/partners/CN-NODE", headers=officer.headers).status_code == 404


def test_a_bad_partner_is_a_problem_with_every_finding(client, make_actor):
    admin = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    r = client.post(
        "/api/v1/partners",
        json=VIETNAM | {"country": "XX", "links": [{"agreement": "nafta"}]},
        headers=admin.headers,
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    assert "country: an ISO 3166 country code" in r.text
    assert "links[0].agreement: an agreement this node knows" in r.text
    r = client.post("/api/v1/partners", json=["not", "an", "object"], headers=admin.headers)
    assert r.status_code in (400, 422)
    assert r.headers["content-type"] == PROBLEM
