"""The HTTP API on both engines: authentication, authorisation, object-level
access per route, idempotent writes, problem+json, metrics, logs."""

import re

import pytest
from fastapi import APIRouter

from opencustoms.access import api_routes, assert_guarded
from opencustoms.accounts.domain import OrgKind, Role
from opencustoms.api.ops import OPEN_PATHS
from opencustoms.api.routes import ROUTERS

PROBLEM = "application/problem+json"

# Every API route, with what protects it. A new route without a line here fails
# `test_every_route_is_covered`, so its access rules get tested too.
#   role: an account kind that may call it (None: public)
#   object: the route names another organisation's object by {org_id}
ROUTES = {
    ("GET", "/api/docs"): {"public": True},
    ("GET", "/api/v1/hs"): {"public": True},
    ("GET", "/api/v1/hs/{code}"): {"public": True},
    ("GET", "/api/v1/origin/agreements"): {"public": True},
    ("GET", "/api/v1/origin/compile-report"): {"public": True},
    ("POST", "/api/v1/origin/agreements/{agreement_id}/determinations"): {"public": True},
    ("POST", "/api/v1/origin/comparisons"): {"public": True},
    ("GET", "/api/v1/origin/agreements/{agreement_id}"): {"public": True},
    ("GET", "/api/v1/origin/agreements/{agreement_id}/rules"): {"public": True},
    ("POST", "/api/v1/origin/determinations"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("GET", "/api/v1/origin/determinations"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("GET", "/api/v1/origin/determinations/{determination_id}"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("POST", "/api/v1/origin/determinations/redetermine"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("POST", "/api/v1/certificates"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("GET", "/api/v1/certificates"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("GET", "/api/v1/certificates/{certificate_id}"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("GET", "/api/v1/certificates/{certificate_id}/signed"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("GET", "/api/v1/certificates/{certificate_id}/pdf"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("POST", "/api/v1/certificates/{certificate_id}/submit"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "forbidden_for": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
    },
    ("POST", "/api/v1/certificates/issue"): {
        "role": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/certificates/{certificate_id}/issue"): {
        "role": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/certificates/{certificate_id}/reject"): {
        "role": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/certificates/{certificate_id}/revoke"): {
        "role": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/certificates/{certificate_id}/replace"): {
        "role": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/verify"): {"public": True},
    ("GET", "/api/v1/me"): {"role": (OrgKind.EXPORTER, Role.EXPORTER)},
    ("GET", "/api/v1/organisations"): {"role": (OrgKind.EXPORTER, Role.EXPORTER)},
    ("POST", "/api/v1/organisations"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/organisations/{org_id}"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "object": True,
    },
    ("GET", "/api/v1/organisations/{org_id}/accounts"): {
        "role": (OrgKind.EXPORTER, Role.EXPORTER),
        "object": True,
    },
    ("POST", "/api/v1/organisations/{org_id}/accounts"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
        "object": True,
    },
    ("GET", "/api/v1/mandates"): {
        "role": (OrgKind.BROKER, Role.BROKER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/mandates"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.BROKER, Role.BROKER),
    },
    ("DELETE", "/api/v1/mandates/{mandate_id}"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.BROKER, Role.BROKER),
    },
    ("GET", "/api/v1/audit"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("GET", "/api/v1/partners"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/partners/{node}"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("POST", "/api/v1/partners"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("PUT", "/api/v1/partners/{node}"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR),
    },
    ("POST", "/api/v1/partners/{node}/deactivate"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("POST", "/api/v1/partners/{node}/activate"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/exchange/status"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/exchange/outbox"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/exchange/inbox"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/exchange/received"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/exchange/verifications"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/exchange/outbox/{message_id}/retry"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("POST", "/api/v1/exchange/utilization"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
    },
    ("POST", "/api/v1/exchange/verifications"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR),
    },
    ("POST", "/api/v1/exchange/verifications/{request_id}/answer"): {
        "role": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("POST", "/api/v1/declarations"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("POST", "/api/v1/declarations/batch"): {
        "role": (OrgKind.BROKER, Role.BROKER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/declarations"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/declarations/{declaration}"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
    },
    ("GET", "/api/v1/declarations/{declaration}/history"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/declarations/{declaration}/amend"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR),
    },
    ("POST", "/api/v1/declarations/{declaration}/cancel"): {
        "role": (OrgKind.BROKER, Role.BROKER),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("GET", "/api/v1/declarations/{declaration}/account"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/declarations/{declaration}/payments"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("POST", "/api/v1/declarations/{declaration}/secure"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("GET", "/api/v1/declarations/{declaration}/replay"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("GET", "/api/v1/guarantees"): {
        "role": (OrgKind.BROKER, Role.BROKER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/guarantees"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("GET", "/api/v1/guarantees/{guarantee}"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.ISSUING_AUTHORITY, Role.ISSUING_OFFICER),
    },
    ("GET", "/api/v1/declarations/{declaration}/preferences"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
    ("POST", "/api/v1/declarations/{declaration}/items/{item}/decision"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.IMPORTER, Role.IMPORTER),
    },
    ("POST", "/api/v1/declarations/{declaration}/items/{item}/verification"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        "forbidden_for": (OrgKind.BROKER, Role.BROKER),
    },
    ("POST", "/api/v1/declarations/{declaration}/items/{item}/claim"): {
        "role": (OrgKind.IMPORTER, Role.IMPORTER),
        "forbidden_for": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
    },
    ("GET", "/api/v1/declaration-rejections"): {
        "role": (OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN),
        "forbidden_for": (OrgKind.EXPORTER, Role.EXPORTER),
    },
}

BODIES = {
    ("POST", "/api/v1/partners"): {"node": "VN-NODE"},
    ("PUT", "/api/v1/partners/{node}"): {"node": "VN-NODE"},
    ("POST", "/api/v1/partners/{node}/deactivate"): {},
    ("POST", "/api/v1/partners/{node}/activate"): {},
    ("POST", "/api/v1/organisations"): {"name": "Trader", "kind": "exporter", "country": "KR"},
    ("POST", "/api/v1/organisations/{org_id}/accounts"): {"name": "Lee", "roles": ["exporter"]},
    ("POST", "/api/v1/mandates"): {"broker_id": "org_none"},
    ("POST", "/api/v1/origin/determinations"): {},
    ("POST", "/api/v1/origin/determinations/redetermine"): {},
    ("POST", "/api/v1/certificates"): {},
    ("POST", "/api/v1/certificates/{certificate_id}/submit"): {},
    ("POST", "/api/v1/certificates/issue"): {"ids": ["cert_none"], "place": "Busan"},
    ("POST", "/api/v1/certificates/{certificate_id}/issue"): {"place": "Busan"},
    ("POST", "/api/v1/certificates/{certificate_id}/reject"): {"reason": "x"},
    ("POST", "/api/v1/certificates/{certificate_id}/revoke"): {"reason": "x"},
    ("POST", "/api/v1/certificates/{certificate_id}/replace"): {
        "certificate": {},
        "reason": "x",
        "place": "Busan",
    },
    ("POST", "/api/v1/verify"): {},
    ("POST", "/api/v1/exchange/outbox/{message_id}/retry"): {},
    ("POST", "/api/v1/exchange/utilization"): {
        "authority": "KR-KCS",
        "number": "N-1",
        "outcome": "applied",
        "declaration": "D-1",
        "on": "2026-06-03",
    },
    ("POST", "/api/v1/exchange/verifications"): {
        "authority": "KR-KCS",
        "number": "N-1",
        "questions": ["Origin?"],
    },
    ("POST", "/api/v1/exchange/verifications/{request_id}/answer"): {"outcome": "confirmed"},
    ("POST", "/api/v1/declarations"): {},
    ("POST", "/api/v1/declarations/batch"): {"declarations": [{}]},
    ("POST", "/api/v1/declarations/{declaration}/amend"): {"declaration": {}, "reason": "x"},
    ("POST", "/api/v1/declarations/{declaration}/cancel"): {"reason": "x"},
    ("POST", "/api/v1/declarations/{declaration}/payments"): {"amount": "1", "reference": "x"},
    ("POST", "/api/v1/declarations/{declaration}/secure"): {"guarantee": "gua_none"},
    ("POST", "/api/v1/guarantees"): {"holder": "org_x", "limit": "1"},
    ("POST", "/api/v1/declarations/{declaration}/items/{item}/decision"): {
        "grant": True,
        "reason": "x",
    },
    ("POST", "/api/v1/declarations/{declaration}/items/{item}/verification"): {
        "questions": ["Origin?"]
    },
    ("POST", "/api/v1/declarations/{declaration}/items/{item}/claim"): {
        "rate_type": "FCN1",
        "proof": {"kind": "certificate", "reference": "K1"},
    },
}


def _call(client, method, path, org_id="org_x", headers=None, body=None):
    url = (
        path.replace("{org_id}", org_id)
        .replace("{code}", "090121")
        .replace("{mandate_id}", "man_00000000000000000000")
        .replace("{certificate_id}", "cert_00000000000000000000")
        .replace("{node}", "VN-NODE")
        .replace("{message_id}", "msg_none")
        .replace("{request_id}", "msg_none")
        .replace("{declaration}", "dcl_none")
        .replace("{guarantee}", "gua_none")
        .replace("{item}", "1")
    )
    if method == "GET":
        return client.get(
            url, params={"q": "coffee"} if url.endswith("/hs") else None, headers=headers
        )
    if method == "DELETE":
        return client.delete(url, headers=headers)
    return client.request(method, url, json=body or BODIES[(method, path)], headers=headers)


def test_every_route_is_covered():
    api = {
        (m, r.path) for r in api_routes(ROUTERS) if r.path.startswith("/api/") for m in r.methods
    }
    assert api == set(ROUTES)


def test_web_pages_are_guarded_too(client):
    from opencustoms.access import _guarded
    from opencustoms.web import pages

    assert all(_guarded(r) for r in api_routes([pages.router]))
    r = client.get("/?q=coffee", follow_redirects=False, headers={"Host": "evil.example"})
    assert r.status_code == 303
    assert r.headers["location"] == "/hs?q=coffee"


def test_a_route_without_a_guard_is_refused_at_start():
    router = APIRouter()

    @router.get("/api/v1/open-by-mistake")
    def open_by_mistake() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="open-by-mistake"):
        assert_guarded([*ROUTERS, router], OPEN_PATHS)


@pytest.mark.parametrize("route", [k for k, v in ROUTES.items() if not v.get("public")], ids=str)
def test_protected_routes_need_a_valid_token(client, route):
    method, path = route
    r = _call(client, method, path)
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["code"] == "auth.missing_token"
    r = _call(client, method, path, headers={"Authorization": "Bearer oc_not-a-real-token"})
    assert r.status_code == 401
    assert r.json()["code"] == "auth.invalid_token"


@pytest.mark.parametrize("route", [k for k, v in ROUTES.items() if v.get("forbidden_for")], ids=str)
def test_a_wrong_role_is_forbidden(client, make_actor, route):
    method, path = route
    kind, role = ROUTES[route]["forbidden_for"]
    actor = make_actor(kind, role)
    r = _call(client, method, path, org_id=actor.org_id, headers=actor.headers)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "auth.forbidden"


@pytest.mark.parametrize("route", [k for k, v in ROUTES.items() if v.get("object")], ids=str)
def test_another_organisations_object_is_not_found(client, make_actor, route):
    method, path = route
    kind, role = ROUTES[route]["role"]
    actor = make_actor(kind, role, "KR")
    # same kind of organisation, but abroad: outside even an administration's jurisdiction
    abroad = make_actor(OrgKind.EXPORTER, Role.EXPORTER, "VN")
    r = _call(client, method, path, org_id=abroad.org_id, headers=actor.headers)
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"
    if kind != OrgKind.CUSTOMS_ADMINISTRATION:
        # a trader does not see even a neighbour in its own country
        neighbour = make_actor(OrgKind.IMPORTER, Role.IMPORTER, "KR")
        r = _call(client, method, path, org_id=neighbour.org_id, headers=actor.headers)
        assert r.status_code == 404, r.text
    own = (
        actor.org_id
        if kind == OrgKind.EXPORTER
        else make_actor(OrgKind.EXPORTER, Role.EXPORTER).org_id
    )
    r = _call(client, method, path, org_id=own, headers=actor.headers)
    assert r.status_code in (200, 201), r.text


def test_lists_show_only_what_the_caller_may_see(client, make_actor):
    broker = make_actor(OrgKind.BROKER, Role.BROKER)
    importer = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    stranger = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    r = client.post("/api/v1/mandates", json={"broker_id": broker.org_id}, headers=importer.headers)
    assert r.status_code == 201
    seen = {o["id"] for o in client.get("/api/v1/organisations", headers=broker.headers).json()}
    assert seen == {broker.org_id, importer.org_id}
    assert stranger.org_id not in seen
    assert (
        client.get(f"/api/v1/organisations/{importer.org_id}", headers=broker.headers).status_code
        == 200
    )
    mandates = client.get("/api/v1/mandates", headers=broker.headers).json()
    assert [(m["importer_id"], m["broker_id"]) for m in mandates] == [
        (importer.org_id, broker.org_id)
    ]
    assert client.get("/api/v1/mandates", headers=stranger.headers).json() == []
    page = client.get(
        "/api/v1/organisations", params={"limit": 1, "offset": 1}, headers=broker.headers
    )
    assert len(page.json()) == 1
    assert (
        client.get("/api/v1/organisations", params={"limit": 0}, headers=broker.headers).status_code
        == 400
    )


def test_audit_is_scoped_to_the_jurisdiction(client, make_actor):
    auditor = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.AUDITOR, "KR")
    kr = make_actor(OrgKind.EXPORTER, Role.EXPORTER, "KR")
    vn = make_actor(OrgKind.EXPORTER, Role.EXPORTER, "VN")
    events = client.get("/api/v1/audit", headers=auditor.headers).json()
    objects = {e["organisation_id"] for e in events}
    assert kr.org_id in objects
    assert vn.org_id not in objects
    assert {"organisation.create", "account.create", "token.issue"} <= {e["action"] for e in events}


def test_me(client, make_actor):
    actor = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    body = client.get("/api/v1/me", headers=actor.headers).json()
    assert body["account"]["id"] == actor.account_id
    assert body["organisation"]["id"] == actor.org_id
    assert "mandate:grant" in body["permissions"]
    assert "audit:read" not in body["permissions"]


def test_idempotent_create(client, make_actor):
    admin = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    headers = {**admin.headers, "Idempotency-Key": "new-trader-0001"}
    body = {"name": "Hanbit Electronics", "kind": "exporter", "country": "KR"}
    first = client.post("/api/v1/organisations", json=body, headers=headers)
    again = client.post("/api/v1/organisations", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json() == again.json()
    names = [o["name"] for o in client.get("/api/v1/organisations", headers=admin.headers).json()]
    assert names.count("Hanbit Electronics") == 1
    other = client.post("/api/v1/organisations", json={**body, "name": "Other"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency.key_reused"
    # another account's identical key is its own
    admin2 = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    r = client.post(
        "/api/v1/organisations",
        json=body,
        headers={**admin2.headers, "Idempotency-Key": "new-trader-0001"},
    )
    assert r.status_code == 201
    assert r.json()["id"] != first.json()["id"]


def test_idempotent_account_and_mandate(client, make_actor):
    admin = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    trader = make_actor(OrgKind.EXPORTER, Role.EXPORTER)
    url = f"/api/v1/organisations/{trader.org_id}/accounts"
    headers = {**admin.headers, "Idempotency-Key": "acc-1"}
    body = {"name": "Lee", "roles": ["exporter"]}
    first, again = (client.post(url, json=body, headers=headers) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert len(client.get(url, headers=admin.headers).json()) == 2

    broker = make_actor(OrgKind.BROKER, Role.BROKER)
    importer = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    headers = {**importer.headers, "Idempotency-Key": "man-1"}
    replies = [
        client.post("/api/v1/mandates", json={"broker_id": broker.org_id}, headers=headers)
        for _ in range(2)
    ]
    assert [r.status_code for r in replies] == [201, 200]
    assert len(client.get("/api/v1/mandates", headers=importer.headers).json()) == 1
    r = client.post(
        "/api/v1/mandates",
        json={"broker_id": broker.org_id},
        headers={**headers, "Idempotency-Key": " "},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "idempotency.bad_key"


def test_create_account_checks_roles(client, make_actor):
    admin = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    trader = make_actor(OrgKind.EXPORTER, Role.EXPORTER)
    url = f"/api/v1/organisations/{trader.org_id}/accounts"
    r = client.post(url, json={"name": "Park", "roles": ["customs_officer"]}, headers=admin.headers)
    assert r.status_code == 400
    assert r.json()["code"] == "account.role_not_allowed"
    r = client.post(url, json={"name": "Park", "roles": ["pilot"]}, headers=admin.headers)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "roles"
    accounts = client.get(url, headers=admin.headers).json()
    assert [a["name"] for a in accounts] == ["exporter user"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/hs/84x1", 400, "hs.invalid_characters"),
        ("/api/v1/hs/99999", 400, "hs.invalid_length"),
        ("/api/v1/hs/010110", 404, "hs.not_found"),
        ("/api/v1/hs?q=", 400, "hs.empty_query"),
        ("/api/v1/hs", 400, "request.invalid"),
        ("/api/v1/hs?q=coffee&limit=0", 400, "request.invalid"),
        ("/api/v1/nowhere", 404, "route.not_found"),
    ],
)
def test_bad_input_gets_a_problem_with_a_stable_code(client, url, status, code):
    r = client.get(url)
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    assert body["detail"]


def test_an_oversized_query_is_refused_with_a_short_answer(client):
    # HTTP clients cap URLs near 64 kB; the 10 MB case is covered over a raw
    # socket in tests/e2e and in-process in tests/unit.
    r = client.get("/api/v1/hs", params={"q": "a" * 60_000})
    assert r.status_code == 400
    assert r.json()["code"] == "hs.query_too_long"
    assert len(r.content) < 2000


def test_a_bad_body_names_the_field(client, make_actor):
    admin = make_actor(OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    r = client.post(
        "/api/v1/organisations", json={"name": "X", "kind": "exporter"}, headers=admin.headers
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "country"
    r = client.post(
        "/api/v1/organisations",
        content=b"{not json",
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert r.status_code == 400


def test_hs_lookup_and_search(client):
    r = client.get("/api/v1/hs/8471.30")
    body = r.json()
    assert [s["code"] for s in body["path"]] == ["XVI", "84", "8471", "847130"]
    r = client.get("/api/v1/hs", params={"q": "roasted coffee"})
    assert r.json()["results"][0]["code"] == "090121"
    assert client.get("/api/v1/hs/0901.21.1000").json()["requested"] == "0901211000"


def test_problems_speak_the_callers_language(client):
    r = client.get("/api/v1/hs/84x1", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert "HS 코드가 아닙니다" in r.json()["detail"]
    assert r.json()["code"] == "hs.invalid_characters"


def test_unexpected_errors_hide_their_trace(client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.app.state.services.hs, "search", boom)
    r = client.get("/api/v1/hs", params={"q": "coffee"})
    assert r.status_code == 500
    assert r.json()["code"] == "internal"
    assert "secret internals" not in r.text
    assert "Traceback" not in r.text


def test_request_ids_metrics_and_health(client):
    r = client.get("/api/v1/hs/0901", headers={"X-Request-ID": "trace-123"})
    assert r.headers["x-request-id"] == "trace-123"
    assert (
        len(client.get("/healthz", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"])
        == 32
    )
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["hs_edition"] == "HS2022"
    metrics = client.get("/metrics").text
    assert (
        'opencustoms_http_requests_total{method="GET",route="/api/v1/hs/{code}",status="200"} 1.0'
        in metrics
    )
    assert "opencustoms_http_request_duration_seconds_bucket" in metrics
    # routes, never raw paths, label the metrics (a number may hold "0901" by chance)
    assert not re.search(r'route="[^"]*0901', metrics)


def test_secrets_are_redacted_from_log_fields_and_traces(capfd):
    from opencustoms.observability import configure_logging, logger

    configure_logging("INFO", json=True)
    capfd.readouterr()
    log = logger("test")
    log.info("x", authorization="Bearer oc_fieldfieldfield", note="token oc_textstextstexts")
    try:
        raise ValueError("Bearer oc_tracetracetrace")
    except ValueError as e:
        log.error("y", exc_info=e)
    err = capfd.readouterr().err
    assert "ValueError" in err
    for secret in ("oc_fieldfieldfield", "oc_textstextstexts", "oc_tracetracetrace"):
        assert secret not in err


def test_logs_are_json_with_request_ids_and_no_secrets(client, make_actor, capfd):
    actor = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    capfd.readouterr()
    client.get("/api/v1/me", headers={**actor.headers, "X-Request-ID": "log-check"})
    client.get("/api/v1/me", headers={"Authorization": "Bearer oc_wrongwrongwrong"})
    err = capfd.readouterr().err
    assert '"request_id": "log-check"' in err
    assert actor.token not in err
    assert "oc_wrongwrongwrong" not in err


def test_openapi_documents_the_routes(client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/hs/{code}" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text  # no CDN: works offline
    assert "cdn." not in docs.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_an_importer_revokes_a_mandate(client, make_actor):
    broker = make_actor(OrgKind.BROKER, Role.BROKER)
    importer = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    other = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    mandate = client.post(
        "/api/v1/mandates", json={"broker_id": broker.org_id}, headers=importer.headers
    ).json()
    assert (
        client.get(f"/api/v1/organisations/{importer.org_id}", headers=broker.headers).status_code
        == 200
    )
    assert (
        client.delete(f"/api/v1/mandates/{mandate['id']}", headers=other.headers).status_code == 404
    )
    r = client.delete(f"/api/v1/mandates/{mandate['id']}", headers=importer.headers)
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    assert (
        client.get(f"/api/v1/organisations/{importer.org_id}", headers=broker.headers).status_code
        == 404
    )


def test_an_exporter_keeps_its_determinations_and_re_runs_them(client, make_actor):
    import json as _json
    from pathlib import Path

    data = _json.loads(
        (Path(__file__).parents[1] / "fixtures/origin/boms/lathe-parts.json").read_text()
    )
    data["materials"][1].update({"hs": "8466.93", "value": "400.00"})  # declared, own heading
    exporter = make_actor(OrgKind.EXPORTER, Role.EXPORTER)
    neighbour = make_actor(OrgKind.EXPORTER, Role.EXPORTER)
    url = "/api/v1/origin/determinations"
    params = {"agreement": "uk-south-korea", "date": "2026-06-01"}
    r = client.post(url, params=params, json=data, headers=exporter.headers)
    assert r.status_code == 201, r.text
    kept = r.json()
    assert (kept["verdict"], kept["criterion"]) == ("originating", "CTH")
    assert kept["result"]["evidence"][0]["kind"] == "product-specific rule"

    assert [d["id"] for d in client.get(url, headers=exporter.headers).json()] == [kept["id"]]
    assert client.get(url, headers=neighbour.headers).json() == []
    one = client.get(f"{url}/{kept['id']}", headers=exporter.headers)
    assert one.json()["bom"]["materials"][1]["evidence"]["reference"] == "SD-2026-0042"
    hidden = client.get(f"{url}/{kept['id']}", headers=neighbour.headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"

    r = client.post(f"{url}/redetermine", headers=neighbour.headers)
    assert (r.json()["changed"], r.json()["unchanged"]) == ([], 0)  # not the neighbour's to re-run
    r = client.post(f"{url}/redetermine", params={"date": "2027-03-01"}, headers=exporter.headers)
    assert r.status_code == 200
    [change] = r.json()["changed"]
    assert change["previous"]["id"] == kept["id"]
    assert (change["current"]["verdict"], change["current"]["supersedes"]) == (
        "not_originating",
        kept["id"],
    )

    bad = client.post(url, params=params, content=b'{"product": {}}', headers=exporter.headers)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == PROBLEM
    assert len(client.get(url, headers=exporter.headers).json()) == 1  # nothing kept from it
