"""The command line on both engines: output, --json, exit codes, one-line errors."""

import json
import re

import pytest

from opencustoms import __version__
from opencustoms.accounts.service import OPERATOR
from opencustoms.cli.main import run


def test_version(cli):
    code, out, _ = cli("--version")
    assert (code, out.strip()) == (0, f"opencustoms {__version__}")


def test_hs_search_json_puts_roasted_coffee_first(cli):
    code, out, _ = cli("hs", "search", "roasted coffee", "--json")
    assert code == 0
    assert json.loads(out)["results"][0]["code"] == "090121"


def test_hs_show_json_has_the_path(cli):
    code, out, _ = cli("hs", "show", "8471 30", "--json")
    data = json.loads(out)
    assert code == 0
    assert [s["code"] for s in data["path"]] == ["XVI", "84", "8471", "847130"]


def test_hs_human_output(cli):
    code, out, _ = cli("hs", "search", "laptop", "--limit", "3")
    assert code == 0
    assert "8471.30" in out
    code, out, _ = cli("hs", "show", "0901")
    assert "0901.21" in out
    assert "Coffee" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("hs", "show", "84x1"), "'84x1' is not an HS code"),
        (("hs", "show", "99999"), "it has 5 digits"),
        (("hs", "show", "010110"), "is not in the HS2022 nomenclature"),
        (("hs", "search", ""), "Type a description or a code"),
        (("hs", "search", "x" * 10_000_000), "shorten it to 200"),
        (
            ("orgs", "create", "--name", "X", "--kind", "pirate", "--country", "KR"),
            "'pirate' is not a valid kind",
        ),
        (
            ("orgs", "create", "--name", "X", "--kind", "exporter", "--country", "ZZ"),
            "'ZZ' is not an ISO 3166",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, args, message):
    code, _out, err = cli(*args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert len(err) < 400


def test_korean_messages(cli, monkeypatch):
    monkeypatch.setenv("OPENCUSTOMS_LOCALE", "ko")
    code, _, err = cli("hs", "show", "84x1")
    assert code == 2
    assert "HS 코드가 아닙니다" in err
    assert "오류" in err


def test_accounts_tokens_and_audit(cli, services):
    code, out, _ = cli(
        "orgs",
        "create",
        "--name",
        "Korea Customs Service",
        "--kind",
        "customs_administration",
        "--country",
        "KR",
        "--json",
    )
    assert code == 0
    org = json.loads(out)
    code, out, _ = cli(
        "accounts",
        "create",
        "--org",
        org["id"],
        "--name",
        "Kim",
        "--role",
        "customs_admin",
        "--role",
        "auditor",
        "--json",
    )
    created = json.loads(out)
    assert created["account"]["roles"] == ["auditor", "customs_admin"]
    principal = services.accounts.authenticate(created["token"])
    assert principal.account.id == created["account"]["id"]

    code, out, _ = cli("accounts", "token", created["account"]["id"], "--json")
    assert services.accounts.authenticate(json.loads(out)["token"]).account.name == "Kim"

    code, out, _ = cli("audit", "list", "--json")
    actions = [e["action"] for e in json.loads(out)]
    assert actions[:4] == ["token.issue", "token.issue", "account.create", "organisation.create"]
    code, out, _ = cli("orgs", "list")
    assert "Korea Customs Service" in out
    code, out, err = cli("accounts", "list", "--org", "org_missing")
    assert code == 2
    assert "org_missing" in err


def test_a_bad_role_writes_nothing(cli):
    _, out, _ = cli(
        "orgs", "create", "--name", "Trader", "--kind", "exporter", "--country", "KR", "--json"
    )
    org = json.loads(out)
    code, _, err = cli(
        "accounts", "create", "--org", org["id"], "--name", "X", "--role", "customs_officer"
    )
    assert code == 2
    assert "customs_officer" in err
    code, out, _ = cli("accounts", "list", "--org", org["id"], "--json")
    assert json.loads(out) == []


def test_money_convert(cli, tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("valid_from,from_currency,to_currency,rate\n2026-01-04,USD,KRW,1450.20\n")
    code, out, _ = cli(
        "money",
        "convert",
        "100",
        "USD",
        "KRW",
        "--on",
        "2026-01-05",
        "--rates",
        str(rates),
        "--json",
    )
    assert code == 0
    assert json.loads(out)["converted"] == "145020"
    rates.write_text("valid_from,from_currency,to_currency,rate\n2026-01-04,USD,KRW,abc\n")
    code, _, err = cli(
        "money", "convert", "100", "USD", "KRW", "--on", "2026-01-05", "--rates", str(rates)
    )
    assert code == 2
    assert "rates.csv, line 2, column rate" in err
    code, _, err = cli(
        "money",
        "convert",
        "100",
        "USD",
        "KRW",
        "--on",
        "2026-01-05",
        "--rates",
        str(tmp_path / "none.csv"),
    )
    assert code == 2
    assert "Cannot read" in err


def test_an_unmigrated_database_says_what_to_do(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("OPENCUSTOMS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert run(["orgs", "list"]) == 2
    assert "run 'opencustoms db upgrade'" in capsys.readouterr().err
    assert run(["db", "current", "--json"]) == 0
    assert '"current": null' in capsys.readouterr().out
    assert run(["db", "upgrade", "--json"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["current"] == state["newest"] is not None
    assert run(["orgs", "list", "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"


def test_revoke_token_and_deactivate(cli, services):
    _, out, _ = cli(
        "orgs", "create", "--name", "Trader", "--kind", "exporter", "--country", "KR", "--json"
    )
    org = json.loads(out)
    _, out, _ = cli(
        "accounts", "create", "--org", org["id"], "--name", "Kim", "--role", "exporter", "--json"
    )
    created = json.loads(out)
    assert cli("accounts", "revoke-token", created["token_id"])[0] == 0
    with pytest.raises(Exception, match="unknown, expired or revoked"):
        services.accounts.authenticate(created["token"])
    _, out, _ = cli("accounts", "token", created["account"]["id"], "--json")
    second = json.loads(out)["token"]
    code, out, _ = cli("accounts", "deactivate", created["account"]["id"], "--json")
    assert code == 0
    assert json.loads(out)["active"] is False
    with pytest.raises(Exception, match="unknown, expired or revoked"):
        services.accounts.authenticate(second)
    assert cli("accounts", "deactivate", created["account"]["id"], "--activate")[0] == 0
    assert services.accounts.authenticate(second).account.active
    code, _, err = cli("accounts", "revoke-token", "tok_nope")
    assert code == 2
    assert "tok_nope" in err


def test_demo_tours_seeds_once_and_completes_an_interrupted_seed(cli, services, tmp_path):
    code, out, _ = cli("demo", "--no-serve")
    assert code == 0
    assert "0901.21" in out
    assert "originating (CTH): CTH | MaxNOM(EXW) <= 45%" in out  # a Korean export, determined
    assert "Manufacture from materials of any heading" in out  # with its legal text
    assert "insufficient-processing.md, Article 6(1)" in out
    assert "BOM SHA-256" in out
    # a Korean RCEP export: determined, applied for from the determination, issued,
    # printed with its QR code and verified offline
    assert "originating (CTSH)" in out
    assert "851712 CTC ← det_" in out
    assert re.search(r"KR-KCS-\d{4}-000001: issued", out)
    assert "QR: http://127.0.0.1:8000/verify/KR-KCS/KR-KCS-" in out
    assert "✓ signature: signed with key KR-KCS-" in out
    assert "– status: not checked: offline" in out
    assert "  VALID" in out
    assert (tmp_path / "demo-certificate.pdf").read_bytes().startswith(b"%PDF")
    # clearance: a certificate issued by Viet Nam's node checks declarations in Korea's
    granted = r"43210-21-100001 FAS1: granted; duty 0 KRW\n  matched with VN-MOIT-2021-000001"
    assert re.search(granted + r" from Viet Nam \d+ ms after it was issued", out)
    assert "43210-21-100002 FAS1: denied; duty 520000 KRW" in out
    assert "600 KGM declared, more than the 500 certified in item 1 (tolerance 5%)." in out
    assert "43210-21-100003 FEU1: in documentary review" in out
    assert "Demo accounts" in out
    tokens = [
        line.split()[-1]
        for line in out.splitlines()
        if line.strip().startswith(("customs_admin", "importer", "broker"))
    ]
    assert len(tokens) == 3
    broker = services.accounts.authenticate(tokens[2])
    assert len(broker.mandated_importers) == 1
    code, out, _ = cli("demo", "--no-serve")
    assert code == 0
    assert "exist already" in out
    names = [o.name for o in services.accounts.organisations(OPERATOR)]
    assert len(names) == len(set(names)) == 5


def test_demo_can_be_told_not_to_serve_by_the_environment(cli, monkeypatch):
    monkeypatch.setenv("OPENCUSTOMS_DEMO_NO_SERVE", "1")
    code, out, _ = cli("demo")
    assert code == 0
    assert "Serving" not in out


def test_kept_determinations_are_re_run_when_a_declaration_expires(cli, tmp_path):
    from pathlib import Path

    data = json.loads(
        (Path(__file__).parents[1] / "fixtures/origin/boms/lathe-parts.json").read_text()
    )
    data["materials"][1].update({"hs": "8466.93", "value": "400.00"})  # declared, own heading
    bom = tmp_path / "expiring.json"
    bom.write_text(json.dumps(data))
    args = ("origin", "determine", "-a", "uk-south-korea", "--bom", str(bom), "--date")
    code, out, _ = cli(*args, "2026-06-01", "--save", "--json")
    assert code == 0
    kept = json.loads(out)
    assert (kept["verdict"], kept["id"][:4]) == ("originating", "det_")
    code, out, _ = cli(*args, "2026-06-01")  # not kept: no --save
    assert "Kept as" not in out

    code, out, _ = cli("origin", "determinations", "--json")
    assert [r["id"] for r in json.loads(out)] == [kept["id"]]

    code, out, _ = cli("origin", "redetermine", "--date", "2027-03-01")
    assert code == 0
    assert "1 changed, 0 unchanged." in out
    assert f"{kept['id']} uk-south-korea 846620: originating (CTH) -> not_originating" in out
    code, out, _ = cli("origin", "determinations", "--json")
    [now] = json.loads(out)
    assert (now["supersedes"], now["verdict"], now["on_date"]) == (
        kept["id"],
        "not_originating",
        "2027-03-01",
    )
    code, out, _ = cli("origin", "redetermine", "--date", "2027-03-01", "--json")
    assert json.loads(out)["changed"] == []
    code, _, err = cli("origin", "redetermine", "--date", "1 March")
    assert code == 2
    assert "date" in err
