"""The public verification page in headless Chromium: a number typed in, a printed copy's
QR link with its seal, a revoked certificate, a forged seal, and Korean."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opencustoms.cli.main import run

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SAMPLE = Path(__file__).parents[1] / "fixtures" / "certificates" / "rcep-kr-jp.json"


@pytest.fixture
def issued(server, database_url, tmp_path, monkeypatch, capsys):
    """A certificate issued (in this process) into the database the server reads."""
    monkeypatch.setenv("OPENCUSTOMS_DATABASE_URL", database_url)
    monkeypatch.setenv("OPENCUSTOMS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCUSTOMS_KEY_PASSPHRASE", "a long operator passphrase")
    data = json.loads(SAMPLE.read_text())
    for k in ("number", "certification", "issue_date", "issue_place", "replaces"):
        data.pop(k)
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    data["transport"]["departure_date"] = (today - timedelta(days=1)).isoformat()
    application = tmp_path / "application.json"
    application.write_text(json.dumps(data, ensure_ascii=False))

    def cli(*args):
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2020-01-01")  # fmt: skip
    applied = json.loads(cli("cert", "apply", application, "--json"))
    number = json.loads(
        cli("cert", "issue", applied["id"], "--officer", "Lee", "--place", "Busan", "--json")
    )["number"]
    from opencustoms import bootstrap
    from opencustoms.accounts.service import Context

    svc = bootstrap.build()
    try:
        qr = svc.certificates.qr_text(svc.certificates.get(Context(None), number))
    finally:
        svc.close()
    return number, qr, cli


def test_a_printed_copys_qr_link_shows_valid_and_its_seal(server, browser, issued):
    number, qr, _cli = issued
    path_and_seal = qr.split("://", 1)[1].split("/", 1)[1]  # the node's own address differs here
    page = browser.new_page()
    try:
        page.goto(f"{server}/{path_and_seal}")
        page.wait_for_url(lambda url: "?seal=" in url)  # the page passed the seal on
        page.wait_for_load_state()
        assert page.locator(".verdict").get_attribute("data-valid") == "true"
        assert page.locator("[data-seal]").get_attribute("data-seal") == "match"
        outcomes = dict(
            page.locator("ul.checks li").evaluate_all(
                "els => els.map(e => [e.dataset.check, e.dataset.outcome])"
            )
        )
        assert outcomes["signature"] == "ok"
        assert outcomes["status"] == "ok"
        body = page.locator("main").inner_text()
        assert number in body
        assert "Changwon" not in body  # no parties or goods for whoever types a number
        forged = path_and_seal[:-3] + ("AAA" if not path_and_seal.endswith("AAA") else "BBB")
        page.goto(f"{server}/{forged}")
        page.wait_for_url(lambda url: "?seal=" in url)
        page.wait_for_load_state()
        assert page.locator("[data-seal]").get_attribute("data-seal") == "mismatch"
    finally:
        page.close()


def test_a_number_typed_in_then_revoked_and_in_korean(server, browser, issued):
    number, _qr, cli = issued
    page = browser.new_page()
    try:
        page.goto(f"{server}/verify")
        page.fill("#number", number)
        page.press("#number", "Enter")
        page.wait_for_url(lambda url: url.endswith(f"/verify/KR-KCS/{number}"))
        assert page.locator(".verdict").get_attribute("data-valid") == "true"

        cli("cert", "revoke", number, "--reason", "goods found not originating")
        page.reload()
        assert page.locator(".verdict").get_attribute("data-valid") == "false"
        status = page.locator("li[data-check=status]")
        assert status.get_attribute("data-outcome") == "failed"
        assert "revoked by its issuing authority" in status.inner_text()
        assert "goods found not originating" not in status.inner_text()  # the officer's reason

        page.goto(f"{server}/verify/KR-KCS/{number}?lang=ko")
        assert "유효하지 않음" in page.locator(".verdict").inner_text()

        page.goto(f"{server}/verify?number=KR-KCS-1999-999999&lang=en")
        assert "No certificate with this number" in page.locator(".error").inner_text()
    finally:
        page.close()
