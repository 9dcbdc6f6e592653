"""The legal-case plugin collects YAML cases and reports a failing one readably."""

pytest_plugins = ["pytester"]


def test_cases_pass_and_fail_readably(pytester):
    pytester.makefile(
        ".cases.yaml",
        coffee="""
subject: hs.search
cases:
  - name: right
    date: 2026-01-01
    input: {query: roasted coffee}
    output: {first: "090121"}
  - name: wrong on purpose
    date: 2026-01-01
    input: {query: roasted coffee}
    output: {first: "847130"}
""",
    )
    result = pytester.runpytest("-p", "opencustoms.testing.legal_cases", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*legal case 'wrong on purpose'*", "*output.first: expected '847130'*"]
    )


def test_a_case_with_an_unknown_field_is_an_error(pytester):
    pytester.makefile(
        ".cases.yaml",
        bad="""
subject: hs.search
cases:
  - name: typo
    date: 2026-01-01
    input: {query: coffee}
    outptu: {first: "090111"}
""",
    )
    result = pytester.runpytest("-p", "opencustoms.testing.legal_cases", "-p", "no:cacheprovider")
    assert "unknown field(s) ['outptu']" in result.stdout.str()
    assert result.ret != 0
