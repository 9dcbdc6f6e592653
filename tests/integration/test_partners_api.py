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


def test_a_partner_changed_since_it_was_read_is_not_overwritten(client, make_actor):
    admin = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    r = client.post("/api/v1/partners", json=VIETNAM, headers=admin.headers)
    assert r.headers["etag"] == '"1"'
    read = client.get("/api/v1/partners/VN-NODE", headers=admin.headers)
    tag = read.headers["etag"]
    assert tag == '"1"'
    # two administrators read version 1; the first to write wins
    r = client.put(
        "/api/v1/partners/VN-NODE",
        json=VIETNAM | {"name": "GDVC"},
        headers=admin.headers | {"If-Match": tag},
    )
    assert (r.status_code, r.headers["etag"]) == (200, '"2"')
    r = client.put(
        "/api/v1/partners/VN-NODE",
        json=VIETNAM | {"url": "http://127.0.0.1:8109"},
        headers=admin.headers | {"If-Match": tag},
    )
    assert r.status_code == 412
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "exchange.partner_changed"
    assert "at version 2, not 1" in r.json()["detail"]
    shown = client.get("/api/v1/partners/VN-NODE", headers=admin.headers).json()
    assert (shown["name"], shown["url"]) == ("GDVC", VIETNAM["url"])
    r = client.put(
        "/api/v1/partners/VN-NODE",
        json=VIETNAM,
        headers=admin.headers | {"If-Match": "yesterday"},
    )
    assert r.status_code == 400
    assert "If-Match: yesterday is not a partner version" in r.json()["detail"]


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
