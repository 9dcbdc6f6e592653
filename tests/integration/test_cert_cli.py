"""`opencustoms cert`: apply, issue, export, verify (online and offline), replace, revoke."""

import json
from pathlib import Path

import pytest

PASS = "a long operator passphrase"
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
    path = tmp_path / "application.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _issue(cli, application):
    applied = _json(cli("cert", "apply", application, "--json"))
    assert applied["status"] == "applied"
    issued = _json(
        cli(
            "cert", "issue", applied["id"], "--officer", "이서연", "--place", "Busan",
            "--on", "2026-06-02", "--json",
        )
    )  # fmt: skip
    return issued


def test_apply_issue_export_and_verify(cli, tmp_path, application):
    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2026-01-01")  # fmt: skip
    issued = _issue(cli, application)
    assert issued["number"] == "KR-KCS-2026-000001"
    assert issued["status"] == "issued"
    signed = tmp_path / "signed.json"
    assert cli("cert", "export", issued["number"], "--out", signed)[0] == 0

    code, out, _ = cli("cert", "verify", signed, "--at", "2026-07-01")
    assert code == 0
    assert "VALID" in out
    assert "✓ status: issued, neither revoked nor replaced" in out

    trust = tmp_path / "trust.json"
    assert cli("authority", "trust", "export", "--out", trust)[0] == 0
    code, out, _ = cli("cert", "verify", signed, "--trust", trust, "--at", "2026-07-01", "--json")
    verdict = json.loads(out)
    assert code == 0
    assert verdict["valid"] is True
    assert {c["name"]: c["ok"] for c in verdict["checks"]}["status"] is None  # offline

    code, out, _ = cli("cert", "verify", signed, "--trust", trust, "--at", "2027-06-02", "--json")
    assert code == 1
    failed = [c["name"] for c in json.loads(out)["checks"] if c["ok"] is False]
    assert failed == ["validity"]

    tampered = json.loads(signed.read_text())
    tampered["certificate"]["items"][0]["quantity"] = "1000"
    signed.write_text(json.dumps(tampered))
    code, out, _ = cli("cert", "verify", signed, "--trust", trust, "--at", "2026-07-01")
    assert code == 1
    assert "✗ readable copy: the readable copy differs from the signed certificate" in out
    assert "at items[0].quantity" in out

    shown = _json(cli("cert", "show", issued["number"], "--json"))
    assert [e["kind"] for e in shown["history"]] == ["drafted", "applied", "issued"]
    assert shown["history"][0]["at"].endswith("+09:00")  # shown in the office's time zone
    assert shown["certificate"]["certification"]["officer"] == "이서연"


def test_replace_and_revoke_show_in_verification(cli, tmp_path, application):
    cli("authority", "keys", "create", "--authority", "KR-KCS", "--country", "KR",
        "--agreement", "rcep", "--from", "2026-01-01")  # fmt: skip
    first = _issue(cli, application)
    signed = tmp_path / "first.json"
    cli("cert", "export", first["number"], "--out", signed)
    new = _json(
        cli("cert", "replace", first["number"], application, "--reason", "consignee changed",
            "--officer", "이서연", "--place", "Busan", "--json")
    )  # fmt: skip
    assert new["number"] == "KR-KCS-2026-000002"
    code, out, _ = cli("cert", "verify", signed)
    assert code == 1
    assert "replaced by certificate KR-KCS-2026-000002" in out
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
