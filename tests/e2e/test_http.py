"""The API over real HTTP on loopback, served by `opencustoms serve`."""

import contextlib
import socket
from urllib.parse import urlsplit

import httpx2
import pytest

from opencustoms.accounts.domain import OrgKind, Role

pytestmark = pytest.mark.e2e


def test_public_hs_routes(server):
    r = httpx2.get(f"{server}/api/v1/hs", params={"q": "roasted coffee"}, timeout=10)
    assert r.status_code == 200
    assert r.json()["results"][0]["code"] == "090121"
    r = httpx2.get(f"{server}/api/v1/hs/84x1", timeout=10)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "hs.invalid_characters"


def test_authentication_and_roles_over_http(server, make_actor):
    r = httpx2.get(f"{server}/api/v1/organisations", timeout=10)
    assert r.status_code == 401
    exporter = make_actor(OrgKind.EXPORTER, Role.EXPORTER)
    r = httpx2.get(f"{server}/api/v1/audit", headers=exporter.headers, timeout=10)
    assert r.status_code == 403
    r = httpx2.get(f"{server}/api/v1/me", headers=exporter.headers, timeout=10)
    assert r.status_code == 200
    assert r.json()["organisation"]["id"] == exporter.org_id


def test_a_ten_megabyte_request_line_is_refused_and_the_server_lives(server):
    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.settimeout(10)
        request = b"GET /api/v1/hs?q=" + b"a" * 10_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        # the server may close before reading it all: that is a refusal too
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(request)
        try:
            answer = s.recv(200)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    assert answer == b"" or answer.split(b" ")[1][:1] == b"4"
    assert httpx2.get(f"{server}/healthz", timeout=10).status_code == 200


def test_metrics_count_requests(server):
    httpx2.get(f"{server}/api/v1/hs/0901", timeout=10)
    text = httpx2.get(f"{server}/metrics", timeout=10).text
    assert 'route="/api/v1/hs/{code}"' in text
