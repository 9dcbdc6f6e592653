"""Every product-specific rule of the 29 UK schemes, compiled: faithful, and > 95 % read."""

import json

import pytest

from opencustoms.cli.main import run
from opencustoms.origin.compiler.fidelity import lost_facts
from opencustoms.origin.compiler.reader import read
from opencustoms.origin.report import CompileReport
from opencustoms.origin.uk import compile_scheme, read_schemes, shipped_folder


@pytest.fixture(scope="module")
def uk_folder(shared_data):
    return shared_data / "uk-rules-of-origin"


@pytest.fixture(scope="module")
def texts(uk_folder):
    return {
        scheme.agreement: [r.get("rule") or "" for raw in scheme.rule_sets for r in raw["rules"]]
        for scheme in read_schemes(uk_folder)
    }


def test_all_29_schemes_are_read(texts):
    assert len(texts) == 29
    assert {"uk-south-korea", "uk-cptpp", "uk-vietnam", "uk-eu"} <= set(texts)
    assert sum(len(t) for t in texts.values()) == 27507


def test_nothing_stated_in_numbers_is_lost(texts):
    """Every percentage and HS reference of a compiled rule is in its tree."""
    lost = {}
    for agreement, rules in texts.items():
        for text in set(rules):
            if text.strip():
                node, notes = read(text)
                missing = lost_facts(text, node, notes)
                if missing:
                    lost[(agreement, text[:120])] = missing
    assert lost == {}


def test_more_than_95_percent_of_rules_compile_as_lookups_serve_them(uk_folder):
    report = CompileReport()
    for scheme in read_schemes(uk_folder):
        report.add(scheme.agreement, compile_scheme(scheme))
    data = report.as_dict()
    total = data["total"]
    assert total["rules"] == 27507  # the one empty published rule counts, for review
    assert total["compiled"] / total["rules"] > 0.95
    assert total["compiled"] + total["needs_review"] == total["rules"]
    korea = next(a for a in data["agreements"] if a["id"] == "uk-south-korea")
    assert korea["compiled"] / korea["rules"] > 0.95


def test_the_shipped_copy_is_the_published_data(uk_folder):
    shipped = {s.agreement: s.rule_sets for s in read_schemes(shipped_folder())}
    published = {s.agreement: s.rule_sets for s in read_schemes(uk_folder)}
    assert shipped == published


def test_rule_sets_compile_with_their_source(uk_folder):
    scheme = next(s for s in read_schemes(uk_folder) if s.agreement == "uk-south-korea")
    compiled = compile_scheme(scheme)
    assert len(compiled) == len(scheme.rule_sets)
    ex = [c for c in compiled if c.is_ex]
    assert ex, "the Korea agreement has 'ex' headings"
    assert all(c.rule.source.agreement == "uk-south-korea" for c in compiled)
    assert sum(not c.rule.needs_review for c in compiled) / len(compiled) > 0.9


def test_compile_report_command(uk_folder, capsys):
    assert run(["origin", "compile-report", "--source", str(uk_folder), "--json", "-n", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"agreements", "total", "distinct_texts", "needs_review_by_wording"}
    assert set(data["agreements"][0]) == {"id", "rules", "compiled", "needs_review"}
    assert data["distinct_texts"]["compiled"] <= data["distinct_texts"]["total"]
    assert len(data["needs_review_by_wording"]) == 5
    assert run(["origin", "compile-report"]) == 0  # the shipped copy
    assert "uk-south-korea" in capsys.readouterr().out


def test_compile_report_refuses_a_wrong_folder(tmp_path, capsys):
    assert run(["origin", "compile-report", "--source", str(tmp_path)]) == 2
    assert "holds no rule_sets" in capsys.readouterr().err
    (tmp_path / "rule_sets").mkdir()
    (tmp_path / "rule_sets" / "x.json").write_text('{"rule_sets": [\n  {"heading": }]}')
    assert run(["origin", "compile-report", "--source", str(tmp_path)]) == 2
    assert "x.json, line 2: not valid JSON" in capsys.readouterr().err


def test_rule_sets_as_served_lose_nothing(uk_folder):
    """The fidelity check again, on whole rule sets as lookups serve them."""
    lost = {}
    for scheme in read_schemes(uk_folder):
        for rule_set in compile_scheme(scheme):
            rule = rule_set.rule
            texts = [t for t, ok in zip(rule_set.texts, rule_set.compiled, strict=True) if ok]
            if texts and not rule.needs_review:
                missing = lost_facts("\n\n".join(texts), rule.criteria, rule.notes)
                if missing:
                    lost[(scheme.agreement, rule_set.heading)] = missing
    assert lost == {}
