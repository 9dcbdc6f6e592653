"""Rules of origin through the command line, the API and the web page."""

import json

import pytest
from fastapi.testclient import TestClient

from opencustoms.asgi import create_app
from opencustoms.cli.main import run


@pytest.fixture
def client(services):
    with TestClient(create_app(services)) as c:
        yield c


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENCUSTOMS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCUSTOMS_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")

    def call(*args):
        capsys.readouterr()
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_the_korea_rule_for_846620(cli):
    code, out, _ = cli("origin", "rules", "--agreement", "uk-south-korea", "--hs", "846620")
    assert code == 0
    assert "CTH | MaxNOM(EXW) <= 45%" in out
    assert "Manufacture in which the value of all the materials used does not exceed 45%" in out
    assert "rule_sets/south-korea.json" in out


def test_rules_json_lists_every_candidate_of_an_ex_heading(cli):
    # green tea: its own rule (090210) and the "ex 0902" entry both cover it
    code, out, _ = cli("origin", "rules", "-a", "uk-south-korea", "--hs", "0902.10", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["code"] == "090210"
    headings = [c["heading"] for c in data["candidates"]]
    assert headings == ["090210", "ex 0902"]
    assert [c["ex"] for c in data["candidates"]] == [False, True]
    assert all(c["source"]["agreement"] == "uk-south-korea" for c in data["candidates"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("-a", "uk-atlantis", "--hs", "846620"), "No agreement has the id 'uk-atlantis'"),
        (("-a", "rcep", "--hs", "0709", "--edition", "HS2012"), "no rule data of rcep for 0709"),
        (("-a", "rcep", "--hs", "8517.12"), "keyed by HS2012 codes"),
        (("-a", "akfta", "--hs", "8517.12"), "no rule data of akfta"),
        (("-a", "uk-south-korea", "--hs", "84x6"), "is not an HS code"),
    ],
)
def test_rules_errors(cli, args, words):
    code, _, err = cli("origin", "rules", *args)
    assert code == 2
    assert words in err


def test_agreements(cli):
    code, out, _ = cli("origin", "agreements", "--json")
    data = {a["id"]: a for a in json.loads(out)}
    assert code == 0
    assert len([a for a in data.values() if a["has_rules"]]) == 30  # 29 UK schemes and RCEP
    assert data["uk-south-korea"]["parties"] == ["GB", "KR"]
    assert data["uk-south-korea"]["psr_hs_edition"] == "HS2007"


def test_import_uk_installs_a_checked_folder_and_refuses_a_broken_one(cli, shared_data, tmp_path):
    source = shared_data / "uk-rules-of-origin"
    code, out, _ = cli("origin", "import-uk", str(source), "--json")
    assert code == 0
    installed = json.loads(out)
    assert len(installed["agreements"]) == 29
    assert (tmp_path / "origin" / "uk" / "rule_sets" / "south-korea.json").is_file()
    # a broken folder is refused and the installed one stays
    broken = tmp_path / "broken"
    (broken / "rule_sets").mkdir(parents=True)
    (broken / "rule_sets" / "x.json").write_text("{not json")
    code, _, err = cli("origin", "import-uk", str(broken))
    assert code == 2
    assert "x.json, line 1: not valid JSON" in err
    assert (tmp_path / "origin" / "uk" / "rule_sets" / "south-korea.json").is_file()
    code, out, _ = cli("origin", "rules", "-a", "uk-south-korea", "--hs", "846620")
    assert "CTH | MaxNOM(EXW) <= 45%" in out


def test_api_routes(client):
    agreements = client.get("/api/v1/origin/agreements").json()
    assert "uk-cptpp" in {a["id"] for a in agreements}
    assert client.get("/api/v1/origin/agreements/uk-eu").json()["has_rules"] is True
    r = client.get("/api/v1/origin/agreements/uk-south-korea/rules", params={"hs": "8466.20"})
    assert r.json()["candidates"][0]["rule"] == "CTH | MaxNOM(EXW) <= 45%"
    r = client.get("/api/v1/origin/agreements/uk-south-korea/rules", params={"hs": "84x6"})
    assert r.status_code == 400
    r = client.get("/api/v1/origin/agreements/akfta/rules", params={"hs": "846620"})
    assert (r.status_code, r.json()["code"]) == (404, "origin.no_rule_data")
    r = client.get("/api/v1/origin/agreements/rcep/rules", params={"hs": "8517.12"})
    assert (r.status_code, r.json()["code"]) == (400, "origin.edition_mismatch")
    r = client.get(
        "/api/v1/origin/agreements/rcep/rules", params={"hs": "8517.12", "edition": "HS2012"}
    )
    body = r.json()
    assert body["edition"] == "HS2012"
    assert body["candidates"][0]["rule"] == (
        "CTSH | RVC(build-down, FOB) >= 40% | RVC(build-up, FOB) >= 40%"
    )
    r = client.get("/api/v1/origin/agreements/uk-south-korea/rules")
    assert r.status_code == 400


def test_api_compile_report(client):
    data = client.get("/api/v1/origin/compile-report", params={"limit": 3}).json()
    assert data["total"]["rules"] == 27507
    assert data["total"]["compiled"] / data["total"]["rules"] > 0.95
    assert len(data["needs_review_by_wording"]) == 3


def test_web_page_lists_an_agreements_rules(client):
    page = client.get("/origin/uk-south-korea")
    assert page.status_code == 200
    assert page.text.count('class="notation"') > 500
    assert "HS code (HS2022)" in page.text


def test_web_page_shows_the_legal_text_beside_the_rule(client):
    page = client.get("/origin/uk-south-korea", params={"hs": "846620"})
    assert page.status_code == 200
    assert "CTH | MaxNOM(EXW) &lt;= 45%" in page.text
    assert "ex-works price of the product" in page.text
    assert "&lt;abbr" not in page.text
    assert "**" not in page.text
    assert client.get("/origin/uk-atlantis").status_code == 404
    assert client.get("/origin/uk-south-korea", params={"hs": "84x6"}).status_code == 400


def test_rcep_rows(cli):
    code, out, _ = cli(
        "origin", "rules", "-a", "rcep", "--hs", "9403.30", "--edition", "HS2012", "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert data["candidates"][0]["heading"] == "94"  # the chapter's rule covers it
    assert data["candidates"][0]["source"]["hs_edition"] == "HS2012"
    assert "page 212" in data["candidates"][0]["source"]["document"]


def test_rcep_page_reads_codes_in_the_annex_edition(client):
    page = client.get("/origin/rcep", params={"hs": "0504.00"})
    assert page.status_code == 200
    assert "CC except 01" in page.text
    assert "HS2012" in page.text


def test_each_scheme_is_keyed_by_its_own_edition(cli):
    # CPTPP's rule sets are keyed by HS 2012 codes (0306.21 was split in HS 2017)
    code, out, _ = cli(
        "origin", "rules", "-a", "uk-cptpp", "--hs", "0306.21", "--edition", "HS2012", "--json"
    )
    assert code == 0
    assert json.loads(out)["candidates"][0]["source"]["hs_edition"] == "HS2012"
    code, _, err = cli("origin", "rules", "-a", "uk-cptpp", "--hs", "0306.31")
    assert code == 2
    assert "keyed by HS2012 codes" in err
    code, _, err = cli("origin", "rules", "-a", "uk-eu", "--hs", "8466.20")
    assert "keyed by HS2017 codes" in err


def test_import_uk_replaces_only_the_schemes_it_holds(cli, shared_data, tmp_path):
    one = tmp_path / "one"
    (one / "rule_sets").mkdir(parents=True)
    korea = json.loads(
        (shared_data / "uk-rules-of-origin" / "rule_sets" / "south-korea.json").read_text()
    )
    korea["rule_sets"] = [rs for rs in korea["rule_sets"] if rs["heading"] == "8466"]
    (one / "rule_sets" / "south-korea.json").write_text(json.dumps(korea))
    code, out, _ = cli("origin", "import-uk", str(one), "--json")
    assert code == 0
    assert json.loads(out)["agreements"] == {"uk-south-korea": 1}
    code, out, _ = cli("origin", "agreements", "--json")
    assert len([a for a in json.loads(out) if a["has_rules"]]) == 30  # the others stay
    code, _, err = cli("origin", "rules", "-a", "uk-south-korea", "--hs", "0101")
    assert "no rule data of uk-south-korea for 0101" in err  # only 8466 was imported
    assert cli("origin", "rules", "-a", "uk-vietnam", "--hs", "0101")[0] == 0


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("x.json", {"rule_sets": ["abc"]}, "rule set 1 is not an object"),
        (
            "x.json",
            {"rule_sets": [{"min": "01", "max": "0199999999", "rules": []}]},
            "ten-digit codes",
        ),
        (
            "x.json",
            {"rule_sets": [{"min": "0100000000", "max": "0199999999", "rules": "abc"}]},
            "a list of objects",
        ),
        (
            "x.json",
            {
                "rule_sets": [
                    {
                        "min": "0100000000",
                        "max": "0199999999",
                        "rules": [{"rule": "WO", "operator": "and"}],
                    }
                ]
            },
            "operator",
        ),
        ("My Scheme.json", {"rule_sets": []}, "must be a scheme code"),
    ],
)
def test_import_uk_refuses_malformed_folders_and_writes_nothing(
    cli, tmp_path, name, content, words
):
    bad = tmp_path / "bad"
    (bad / "rule_sets").mkdir(parents=True)
    (bad / "rule_sets" / name).write_text(json.dumps(content))
    code, _, err = cli("origin", "import-uk", str(bad))
    assert code == 2
    assert words in err
    assert "Traceback" not in err
    assert not (tmp_path / "origin" / "uk").exists()


def test_determine_command(cli):
    from pathlib import Path

    bom = Path(__file__).parents[2] / "fixtures" / "origin" / "boms" / "lathe-parts.json"
    code, out, _ = cli(
        "origin",
        "determine",
        "-a",
        "uk-south-korea",
        "--bom",
        str(bom),
        "--date",
        "2026-06-01",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "originating"
    assert data["criterion"] == "CTH"
    assert data["rule_set"]["rule"] == "CTH | MaxNOM(EXW) <= 45%"
    assert [a["result"] for a in data["alternatives"]] == ["passed", "passed"]
    assert "18.00% of EXW, limit 45%" in data["margin"]
    assert data["rolled_up"] == [3]
    kinds = [e["kind"] for e in data["evidence"]]
    assert kinds == [
        "product-specific rule",
        "profile",
        "insufficient operations",
        "absorption",
        "inputs",
        "date",
    ]
    inputs = data["evidence"][-2]
    assert (inputs["originating_lines"], inputs["non_originating_lines"]) == ([2, 3], [1])
    assert len(inputs["bom_sha256"]) == 64
    assert data["evidence"][1]["version"].startswith("sha256:")
    assert data["evidence"][0]["reference"] == "uk-south-korea, rule_sets/south-korea.json, 8466"
    code, out, _ = cli(
        "origin", "determine", "-a", "uk-south-korea", "--bom", str(bom), "--date", "2026-06-01"
    )
    assert "originating  (CTH)" in out
    code, _, err = cli("origin", "determine", "-a", "uk-south-korea", "--bom", "/nonexistent.json")
    assert code == 2
    assert "Cannot read" in err


def test_determine_reports_every_bom_error(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("level,hs,description,value\n0,8466.20,x,\n1,84x1,,abc\n")
    code, _, err = cli("origin", "determine", "-a", "uk-south-korea", "--bom", str(bad))
    assert code == 2
    assert "bad.csv, line 3, hs" in err


def test_api_determination(client):
    from pathlib import Path

    bom = (
        Path(__file__).parents[2] / "fixtures" / "origin" / "boms" / "lathe-parts.json"
    ).read_bytes()
    url = "/api/v1/origin/agreements/uk-south-korea/determinations"
    r = client.post(url, params={"date": "2026-06-01"}, content=bom)
    assert r.status_code == 200
    assert (r.json()["verdict"], r.json()["criterion"]) == ("originating", "CTH")
    r = client.post(url, content=b'{"product": {}}')
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert len(r.json()["errors"]) >= 2  # every problem of the BOM, at once
    # the same BOM as CSV, named by its Content-Type
    csv_bom = (
        Path(__file__).parents[2] / "fixtures" / "origin" / "boms" / "lathe-parts.csv"
    ).read_bytes()
    r = client.post(
        url,
        params={"date": "2026-06-01"},
        content=csv_bom,
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 200
    assert r.json()["criterion"] == "CTH"


def test_web_determination_upload(client):
    from pathlib import Path

    bom = (
        Path(__file__).parents[2] / "fixtures" / "origin" / "boms" / "lathe-parts.csv"
    ).read_bytes()
    page = client.post(
        "/origin/determine",
        data={"agreement": "uk-south-korea", "date": "2026-06-01"},
        files={"bom": ("lathe-parts.csv", bom, "text/csv")},
    )
    assert page.status_code == 200
    assert 'data-verdict="originating"' in page.text
    assert 'download="determination.json"' in page.text
    bad = client.post(
        "/origin/determine",
        data={"agreement": "uk-south-korea"},
        files={"bom": ("bad.csv", b"level,hs,description,value\n0,84x1,,\n", "text/csv")},
    )
    assert bad.status_code == 400
    assert "bad.csv, line 2, hs" in bad.text
    assert client.post("/origin/determine", data={"agreement": "uk-south-korea"}).status_code == 400


def test_compare_across_agreements(cli):
    from pathlib import Path

    bom = Path(__file__).parents[2] / "fixtures" / "origin" / "boms" / "lathe-parts.json"
    code, out, _ = cli(
        "origin",
        "compare",
        "--bom",
        str(bom),
        "--from",
        "KR",
        "--to",
        "GB",
        "--date",
        "2026-06-01",
        "--json",
    )
    assert code == 0
    rows = json.loads(out)["agreements"]
    assert [r["agreement"] for r in rows] == ["uk-south-korea"]
    assert rows[0]["verdict"] == "originating"
    code, out, _ = cli(
        "origin",
        "compare",
        "--bom",
        str(bom),
        "--from",
        "VN",
        "--to",
        "GB",
        "--date",
        "2026-06-01",
        "--json",
    )
    found = {r["agreement"] for r in json.loads(out)["agreements"]}
    assert {"uk-vietnam", "uk-cptpp"} <= found
    # agreements in force without rule data are listed, each saying so
    code, out, _ = cli(
        "origin", "compare", "--bom", str(bom), "--from", "KR", "--to", "VN", "--json"
    )
    rows = {r["agreement"]: r for r in json.loads(out)["agreements"]}
    assert {"akfta", "vkfta", "rcep"} <= set(rows)
    code, out, _ = cli(
        "origin",
        "compare",
        "--bom",
        str(bom),
        "--from",
        "IN",
        "--to",
        "GB",
        "--date",
        "2026-06-01",
        "--json",
    )
    assert "uk-gsp" not in {r["agreement"] for r in json.loads(out)["agreements"]}  # ended 2023
    assert "no product-specific rules of akfta" in rows["akfta"]["error"]
    code, out, _ = cli(
        "origin", "compare", "--bom", str(bom), "--from", "KR", "--to", "FR", "--date", "2026-06-01"
    )
    assert "No agreement opencustoms knows is in force between KR and FR" in out
    code, _, _err = cli("origin", "compare", "--bom", str(bom), "--from", "XX", "--to", "GB")
    assert code == 2


def test_api_comparison(client):
    from pathlib import Path

    bom = (
        Path(__file__).parents[2] / "fixtures" / "origin" / "boms" / "lathe-parts.json"
    ).read_bytes()
    url = "/api/v1/origin/comparisons"
    r = client.post(url, params={"from": "VN", "to": "gb", "date": "2026-06-01"}, content=bom)
    assert r.status_code == 200
    data = r.json()
    assert (data["from"], data["to"], data["date"]) == ("VN", "GB", "2026-06-01")
    rows = {row["agreement"]: row for row in data["agreements"]}
    assert {"uk-vietnam", "uk-cptpp"} <= rows.keys()
    assert all(row["verdict"] or row["error"] for row in rows.values())
    r = client.post(url, params={"from": "XX", "to": "GB"}, content=bom)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert "XX" in r.json()["detail"]
    r = client.post(url, params={"to": "GB"}, content=bom)
    assert r.status_code in (400, 422)
    assert r.headers["content-type"] == "application/problem+json"


def test_web_comparison_upload(client):
    from pathlib import Path

    bom = (
        Path(__file__).parents[2] / "fixtures" / "origin" / "boms" / "lathe-parts.csv"
    ).read_bytes()
    files = {"bom": ("lathe-parts.csv", bom, "text/csv")}
    page = client.post(
        "/origin/compare", data={"from": "kr", "to": "GB", "date": "2026-06-01"}, files=files
    )
    assert page.status_code == 200
    assert 'data-agreement="uk-south-korea" data-verdict="originating"' in page.text
    assert 'value="KR"' in page.text  # the form keeps what was asked, normalised
    none = client.post("/origin/compare", data={"from": "KR", "to": "FR"}, files=files)
    assert none.status_code == 200
    assert "No agreement opencustoms knows is in force between KR and FR" in none.text
    bad = client.post("/origin/compare", data={"from": "ZZ", "to": "GB"}, files=files)
    assert bad.status_code == 400
    assert 'role="alert"' in bad.text
    assert "ZZ" in bad.text
    assert client.post("/origin/compare", data={"from": "KR", "to": "GB"}).status_code == 400
    assert client.get("/origin/compare").status_code == 200


def test_bom_codes_of_another_edition_go_through_a_correspondence_table(cli, tmp_path):
    # uk-cptpp's rules are keyed by HS 2012; this BOM classifies in HS 2022
    bom = {
        "product": {
            "hs": "8471.30",
            "hs_edition": "HS2022",
            "description": "laptops",
            "fob_price": "1000",
            "currency": "JPY",
            "processes": ["assembly"],
        },
        "materials": [
            {"hs": "8473.30", "description": "parts", "value": "600", "origin_country": "CN"}
        ],
    }
    path = tmp_path / "laptops.json"
    path.write_text(json.dumps(bom))
    args = ("origin", "determine", "-a", "uk-cptpp", "--bom", str(path), "--date", "2026-06-01")
    code, _, err = cli(*args)
    assert code == 2
    assert "product: 8471.30 is HS2022, and the rules of uk-cptpp are keyed by HS2012" in err
    assert "line 1: 8473.30 is HS2022" in err  # every line at once
    table = tmp_path / "hs2022-hs2012.csv"
    table.write_text(
        "from_edition,from_code,to_edition,to_code\n"
        "HS2022,847130,HS2012,847130\n"
        "HS2022,847330,HS2012,847330\n"
    )
    code, out, _ = cli("hs", "import-correspondence", str(table), "--json")
    assert code == 0
    assert json.loads(out)["editions"] == ["HS2012>HS2022", "HS2022>HS2012"]
    code, out, _ = cli(*args, "--json")
    assert code == 0
    assert (json.loads(out)["verdict"], json.loads(out)["criterion"]) == ("originating", "CTSH")
    # a broken table is refused whole, and the installed one stays
    broken = tmp_path / "broken.csv"
    broken.write_text("from_edition,from_code,to_edition,to_code\nHS2022,847130,HS2022,847130\n")
    code, _, err = cli("hs", "import-correspondence", str(broken))
    assert code == 2
    assert "broken.csv, line 2" in err
    assert "both codes are of HS2022" in err
    assert cli(*args)[0] == 0
