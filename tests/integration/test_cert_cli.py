"""`opencustoms cert`: apply, issue, export, verify (online and offline), replace, revoke."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

PASS = "a long operator passphrase"
# issued today, in the office's time zone (Seoul), shipped the day before
TODAY = datetime.now(ZoneInfo("Asia/Seoul")).date()
SOON = (TODAY + timedelta(days=30)).isoformat()
LATE = (TODAY + timedelta(days=400)).isoformat()  # beyond RCEP's year of validity
SAMPLE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "certificates" / "rcep-kr-jp.json").read_text()
)


def _json(result):
    code, out, err = result
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def application(tmp_path):
    data = {
        k: v
        for k, v in SAMPLE.items()
        if k not in {"number", "certification", "issue_date", "issue_place", "replaces"}
    }
    data["transport"]["departure_date"] = (TODAY - timedelta(days=1)).isoformat()
    path = tmp_path / "application.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _issue(cli, application):
    applied = _json(cli("cert", "apply", application, "--json"))
    assert applied["status"] == "applied"
    issued = _json(
        cli(
            "cert", "issue", applied["id"], "--officer", "이서연", "--place", "Busan",
            "--json",
        )
    )  # fmt: skip
    return issued


def test_apply_issue_export_and_verify(cli, tmp_path, application):
    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2020-01-01")  # fmt: skip
    issued = _issue(cli, application)
    assert issued["number"] == f"KR-KCS-{TODAY.year}-000001"
    assert issued["status"] == "issued"
    signed = tmp_path / "signed.json"
    assert cli("cert", "export", issued["number"], "--out", signed)[0] == 0

    code, out, _ = cli("cert", "verify", signed, "--at", SOON)
    assert code == 0
    assert "VALID" in out
    assert "✓ status: issued, neither revoked nor replaced" in out

    trust = tmp_path / "trust.json"
    assert cli("authority", "trust", "export", "--out", trust)[0] == 0
    code, out, _ = cli("cert", "verify", signed, "--trust", trust, "--at", SOON, "--json")
    verdict = json.loads(out)
    assert code == 0
    assert verdict["valid"] is True
    assert {c["name"]: c["ok"] for c in verdict["checks"]}["status"] is None  # offline

    code, out, _ = cli("cert", "verify", signed, "--trust", trust, "--at", LATE, "--json")
    assert code == 1
    failed = [c["name"] for c in json.loads(out)["checks"] if c["ok"] is False]
    assert failed == ["validity"]

    tampered = json.loads(signed.read_text())
    tampered["certificate"]["items"][0]["quantity"] = "1000"
    signed.write_text(json.dumps(tampered))
    code, out, _ = cli("cert", "verify", signed, "--trust", trust, "--at", SOON)
    assert code == 1
    assert "✗ readable copy: the readable copy differs from the signed certificate" in out
    assert "at items[0].quantity" in out

    shown = _json(cli("cert", "show", issued["number"], "--json"))
    assert [e["kind"] for e in shown["history"]] == ["drafted", "applied", "issued"]
    assert shown["history"][0]["at"].endswith("+09:00")  # shown in the office's time zone
    assert shown["certificate"]["certification"]["officer"] == "이서연"


def test_replace_and_revoke_show_in_verification(cli, tmp_path, application):
    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2020-01-01")  # fmt: skip
    first = _issue(cli, application)
    signed = tmp_path / "first.json"
    cli("cert", "export", first["number"], "--out", signed)
    new = _json(
        cli("cert", "replace", first["number"], application, "--reason", "consignee changed",
            "--officer", "이서연", "--place", "Busan", "--json")
    )  # fmt: skip
    assert new["number"] == f"KR-KCS-{TODAY.year}-000002"
    code, out, _ = cli("cert", "verify", signed)
    assert code == 1
    assert f"replaced by certificate KR-KCS-{TODAY.year}-000002" in out
    assert _json(cli("cert", "revoke", new["number"], "--reason", "fraud", "--json"))["status"] == (
        "revoked"
    )
    code, _, err = cli("cert", "revoke", new["number"], "--reason", "again")
    assert code == 2
    assert "is revoked: it cannot be revoked" in err
    listed = _json(cli("cert", "list", "--json"))
    assert [c["status"] for c in listed] == ["revoked", "replaced"]


def test_unusable_input_exits_2_with_a_clear_line(cli, tmp_path, application):
    code, _, err = cli("cert", "verify", tmp_path / "missing.json")
    assert code == 2
    assert "Cannot read" in err
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    code, out, _ = cli("cert", "verify", junk, "--json")
    assert code == 2
    assert json.loads(out)["checks"][0] == {
        "name": "structure",
        "ok": False,
        "outcome": "failed",
        "reason": "the document is not JSON",
    }
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"form": "rcep-co", "items": []}))
    code, _, err = cli("cert", "apply", bad)
    assert code == 2
    assert "items: expected a list of at least one item" in err
    code, _, err = cli("cert", "issue", "cert_nope", "--officer", "x", "--place", "y")
    assert code == 2
    assert "No certificate cert_nope here." in err
    applied = _json(cli("cert", "apply", application, "--json"))
    code, _, err = cli("cert", "issue", applied["id"], "--officer", "x", "--place", "Busan")
    assert code == 2
    assert "has no key for rcep" in err
    assert _json(cli("cert", "show", applied["id"], "--json"))["status"] == "applied"


def test_the_printed_certificate_carries_its_names_and_qr_code(cli, tmp_path, application):
    import pypdfium2

    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2020-01-01")  # fmt: skip
    issued = _issue(cli, application)
    target = tmp_path / "certificate.pdf"
    code, _, err = cli("cert", "pdf", issued["number"], "--out", target)
    assert code == 0, err
    document = pypdfium2.PdfDocument(target)
    text = "".join(document[0].get_textpage().get_text_range().split())
    for expected in (
        "창원정밀(주)",  # Hangul
        "大阪ツール株式会社",  # kanji and katakana
        "이서연",
        f"KR-KCS-{TODAY.year}-000001",
        "10.Originconferringcriterion",  # boxes numbered as on the form
        "8466.20",
    ):
        assert expected in text, expected
    document.close()
    raw = target.read_bytes()
    assert b"/FontFile3" in raw  # the font is embedded ...
    assert b"+NotoSansCJKKR" in raw  # ... as a subset of the glyphs used
    code, _, err = cli("cert", "pdf", "KR-KCS-2099-000001", "--out", tmp_path / "x.pdf")
    assert code == 2
    assert "No certificate" in err
    assert not (tmp_path / "x.pdf").exists()


def test_a_copy_that_cannot_be_written_is_not_recorded(cli, tmp_path, application):
    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2020-01-01")  # fmt: skip
    issued = _issue(cli, application)
    code, _, err = cli("cert", "copy", issued["number"], "--out", tmp_path / "no" / "copy.json")
    assert code == 2
    assert "Cannot write" in err
    history = _json(cli("cert", "show", issued["number"], "--json"))["history"]
    assert [e["kind"] for e in history] == ["drafted", "applied", "issued"]
    assert cli("cert", "copy", issued["number"], "--out", tmp_path / "copy.json")[0] == 0
    code, out, _ = cli("cert", "verify", tmp_path / "copy.json")
    assert code == 0, out


def test_several_applications_are_issued_together_or_not_at_all(cli, application):
    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2020-01-01")  # fmt: skip
    ids = [_json(cli("cert", "apply", application, "--json"))["id"] for _ in range(3)]
    rejected = _json(cli("cert", "reject", ids[2], "--reason", "incomplete", "--json"))
    code, _, err = cli("cert", "issue", ids[0], ids[2], "--officer", "이서연", "--place", "Busan")
    assert code == 2
    assert f"{rejected['id']}: Certificate {rejected['id']} is rejected" in err
    assert _json(cli("cert", "show", ids[0], "--json"))["status"] == "applied"
    issued = _json(
        cli("cert", "issue", ids[1], ids[0], "--officer", "이서연", "--place", "Busan", "--json")
    )
    assert [(r["id"], r["number"]) for r in issued] == [
        (ids[1], f"KR-KCS-{TODAY.year}-000001"),
        (ids[0], f"KR-KCS-{TODAY.year}-000002"),
    ]
    code, _, err = cli("cert", "issue", ids[0], "--officer", "x", "--place", "y")
    assert code == 2
    assert "is issued: it cannot be issued" in err
