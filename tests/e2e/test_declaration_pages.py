"""Declarations in headless Chromium: an importer lodges one through the form (its
preference claim sent to review), sees its duty explained and its decision; a refused
one shows every finding beside its field; customs staff see the list, in Korean too."""

import pytest

from opencustoms import bootstrap
from opencustoms.accounts.domain import OrgKind, Role
from opencustoms.accounts.service import OPERATOR
from opencustoms.kernel.countries import Country
from opencustoms.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _actor(svc: bootstrap.Services, kind: OrgKind, role: Role) -> tuple[str, str]:
    org, _ = svc.accounts.create_organisation(OPERATOR, f"{role.value} org", kind, Country("KR"))
    account, _ = svc.accounts.create_account(OPERATOR, org.id, role.value, [role])
    return org.id, svc.accounts.issue_token(OPERATOR, account.id)[1]


@pytest.fixture
def people(server, database_url, tmp_path):
    svc = bootstrap.build(Settings(database_url=database_url, data_dir=tmp_path))
    try:
        return (
            _actor(svc, OrgKind.IMPORTER, Role.IMPORTER),
            _actor(svc, OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_OFFICER),
        )
    finally:
        svc.close()


def _sign_in(page, server, path, token):
    page.goto(f"{server}{path}")
    assert "/signin" in page.url
    page.fill("#token", token)
    page.click("button[type=submit]")


GOOD = {
    "#reference": "43210-21-000777",
    "#date": "2021-02-01",
    "#office": "30",
    "#seller": "0VKY2BR",
    "#transport_mode": "10",
    "#hs_code": "3926909000",
    "#origin": "CN",
    "#departure": "CN",
    "#rate_type": "FCN1",
    "#price": "1000000",
    "#net_mass": "12",
    "#proof_reference": "K2021-123456",
}


def test_an_importer_lodges_through_the_form_and_sees_the_duty_and_decision(
    server, browser, people
):
    (importer_org, importer), (_, officer) = people
    page = browser.new_page()
    try:
        _sign_in(page, server, "/declarations/new", importer)
        page.wait_for_selector("#declaration-form")
        assert page.input_value("#importer") == importer_org
        # refused first: every finding beside its field, nothing kept but the rejection
        page.fill("#reference", "43210-21-000776")
        page.fill("#origin", "VN")
        page.fill("#rate_type", "FCN1")
        page.fill("#hs_code", "3926909000")
        page.fill("#price", "12.5.0")
        page.click("#lodge")
        page.wait_for_selector("#message")
        assert "was not lodged" in page.inner_text("#message")
        assert "is not a number" in page.inner_text("#price-error")
        # then lodged
        for selector, value in GOOD.items():
            page.fill(selector, value)
        page.click("#lodge")
        page.wait_for_selector("#preferences")
        assert page.url.endswith("/declarations/43210-21-000777")
        assert "in documentary review" in page.inner_text("#preferences")
        assert "duty on the declaration 39,000 KRW" in page.inner_text("#totals")
        assert "Not to be released" in page.inner_text("#account")
    finally:
        page.close()
    page = browser.new_page()
    try:
        _sign_in(page, server, "/declarations", officer)
        page.wait_for_selector("#declarations")
        assert "43210-21-000777" in page.inner_text("#declarations")
        page.goto(f"{server}/declarations?lang=ko")
        assert page.inner_text("h1") == "수입신고"
    finally:
        page.close()
