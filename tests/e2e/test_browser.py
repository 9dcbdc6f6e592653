"""The HS search page in a real headless Chromium, with and without JavaScript."""

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_results_appear_as_you_type(server, browser, tmp_path):
    page = browser.new_page()
    try:
        page.goto(f"{server}/hs")
        page.locator("#q").press_sequentially("roasted coffee", delay=20)
        first = page.locator("#results li.hit").first
        first.wait_for(timeout=10_000)
        assert first.get_attribute("data-code") == "090121"
        assert "Coffee; roasted, not decaffeinated" in first.inner_text()
        assert page.url == f"{server}/hs"  # htmx swapped the list in; no page load
        page.screenshot(path=str(tmp_path / "hs-search.png"))

        first.locator("a").click()
        page.wait_for_url(re.compile(r".*/hs/090121$"))
        assert "0901.21" in page.locator("h1").inner_text()
    finally:
        page.close()


def test_search_works_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{server}/hs")
        page.fill("#q", "laptop")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r".*/hs\?q=laptop$"))
        codes = page.locator("#results li.hit").evaluate_all("els => els.map(e => e.dataset.code)")
        assert "847130" in codes[:3]
    finally:
        context.close()


def test_bad_input_and_korean(server, browser):
    page = browser.new_page()
    try:
        page.goto(f"{server}/hs?q=%20&lang=ko")
        assert page.locator("h1").inner_text() == "HS 품목분류 검색"
        assert "검색할 품명이나 코드" in page.locator(".error").inner_text()
        # the choice of language sticks (cookie)
        page.goto(f"{server}/hs/84x1")
        assert "HS 코드가 아닙니다" in page.locator(".error").inner_text()
    finally:
        page.close()


def test_origin_rules_page(server, browser):
    page = browser.new_page()
    try:
        page.goto(f"{server}/origin")
        page.locator("a", has_text="uk-south-korea").click()
        page.fill("#hs", "846620")
        page.press("#hs", "Enter")
        rule = page.locator("section.rule code.notation").first
        rule.wait_for(timeout=10_000)
        assert rule.inner_text() == "CTH | MaxNOM(EXW) <= 45%"
        texts = page.locator("blockquote.legal").all_inner_texts()
        assert any("ex-works price" in t for t in texts)
    finally:
        page.close()


def test_upload_a_bom_and_read_why(server, browser):
    from pathlib import Path

    bom = Path(__file__).parents[1] / "fixtures" / "origin" / "boms" / "lathe-parts.json"
    page = browser.new_page()
    try:
        page.goto(f"{server}/origin/determine")
        page.select_option("#agreement", "uk-south-korea")
        page.set_input_files("#bom", str(bom))
        page.fill("#date", "2026-06-01")
        page.click("form.determine button")
        report = page.locator("section.report")
        report.wait_for(timeout=10_000)
        assert report.get_attribute("data-verdict") == "originating"
        assert "CTH | MaxNOM(EXW) <= 45%" in page.locator("code.notation").first.inner_text()
        assert "18.00% of EXW" in page.locator("ol.steps").inner_text()
        # the general rules the verdict rests on, each with its text beside the rule's
        rules = page.locator("h4.general-rule").all_inner_texts()
        assert rules == ["insufficient operations", "absorption"]
        assert "sufficiently-worked.md" not in page.locator("h4.general-rule").first.inner_text()
        basis = page.locator("p.basis").all_inner_texts()
        assert "profile sha256:" in basis[0]
        assert "SHA-256" in basis[1]
    finally:
        page.close()


def test_compare_agreements_from_the_menu(server, browser):
    from pathlib import Path

    bom = Path(__file__).parents[1] / "fixtures" / "origin" / "boms" / "lathe-parts.json"
    page = browser.new_page()
    try:
        page.goto(f"{server}/origin/determine")
        page.locator("nav a", has_text="Compare agreements").click()
        page.fill("#from", "VN")
        page.fill("#to", "GB")
        page.set_input_files("#bom", str(bom))
        page.fill("#date", "2026-06-01")
        page.click("form.compare button")
        table = page.locator("section.comparison table")
        table.wait_for(timeout=10_000)
        agreements = page.locator("tr[data-agreement]").evaluate_all(
            "rows => rows.map(r => r.dataset.agreement)"
        )
        assert {"uk-vietnam", "uk-cptpp"} <= set(agreements)
    finally:
        page.close()
