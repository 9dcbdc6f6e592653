"""The exchange page in headless Chromium: customs staff sign in with their token and see
messages out and in, their states and failures; a trader's token is refused."""

from datetime import UTC, datetime

import pytest

from opencustoms import bootstrap
from opencustoms.accounts.domain import OrgKind, Role
from opencustoms.accounts.service import OPERATOR
from opencustoms.exchange.envelope import Envelope
from opencustoms.exchange.inbox import Incoming, Reception
from opencustoms.exchange.outbox import Delivery, Outgoing
from opencustoms.kernel.countries import Country
from opencustoms.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _token(svc: bootstrap.Services, kind: OrgKind, role: Role) -> str:
    org, _ = svc.accounts.create_organisation(OPERATOR, f"{role.value} org", kind, Country("KR"))
    account, _ = svc.accounts.create_account(OPERATOR, org.id, role.value, [role])
    return svc.accounts.issue_token(OPERATOR, account.id)[1]


@pytest.fixture
def staff(server, database_url, tmp_path):
    """Tokens of a customs officer and an exporter, and messages in and out."""
    svc = bootstrap.build(Settings(database_url=database_url, data_dir=tmp_path))
    try:
        now = datetime.now(UTC)
        payload = {"authority": "KR-KCS", "number": "KR-1", "revoked_at": "2026-06-02T03:00:00Z"}
        out = Envelope(
            "msg_out_1", "certificate.revoked", 1, "KR-NODE", "VN-NODE", now, payload, None, 1
        )
        back = Envelope(
            "msg_in_1", "ack", 1, "VN-NODE", "KR-NODE", now, {"of": "msg_x", "outcome": "accepted"}
        )
        with svc.uow() as uow:
            uow.outbox.add(
                Outgoing(out, now, now, Delivery.PENDING, 3, "ConnectError: connection refused")
            )
            uow.inbox.add(Incoming(back, "d", now, Reception.KEPT))
            uow.commit()
        return (
            _token(svc, OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
            _token(svc, OrgKind.EXPORTER, Role.EXPORTER),
        )
    finally:
        svc.close()


def _sign_in(page, server, token):
    page.goto(f"{server}/exchange")
    assert "/signin" in page.url  # not signed in: asked to
    page.fill("#token", token)
    page.click("button[type=submit]")


def test_an_officer_signs_in_and_sees_messages_out_and_in(server, browser, staff):
    officer, _ = staff
    page = browser.new_page()
    try:
        _sign_in(page, server, officer)
        page.wait_for_selector("#outbound")
        assert page.url.endswith("/exchange")
        row = page.inner_text("#outbound tbody tr")
        assert "msg_out_1" in row
        assert "pending" in row
        assert "connection refused" in row
        assert "msg_in_1" in page.inner_text("#inbound")
        assert "pending 1" in page.inner_text("#out-counts")
        page.goto(f"{server}/exchange?lang=ko")
        assert page.inner_text("h2") == "보내는 메시지"
        page.click("form[action='/signout'] button")
        page.goto(f"{server}/exchange")
        assert "/signin" in page.url
    finally:
        page.close()


def test_a_wrong_token_or_a_traders_token_is_refused(server, browser, staff):
    _, exporter = staff
    page = browser.new_page()
    try:
        _sign_in(page, server, "oc_not-a-token")
        assert page.inner_text("[role=alert]")
        assert "/signin" in page.url
        _sign_in(page, server, exporter)
        assert "exchange:read" in page.inner_text("[role=alert]")
    finally:
        page.close()
