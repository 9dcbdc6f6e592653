"""RCEP's product-specific rule rows shipped with opencustoms (see data/rcep/)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from opencustoms.kernel.hs import HsCode, HsEdition
from opencustoms.origin.compiler.rcep import read_rcep
from opencustoms.origin.compiler.ruleset import CompiledRuleSet
from opencustoms.origin.rules import ProductRule, RuleSource
from opencustoms.reference.yamlstrict import load_yaml_text

RCEP = "rcep"


@lru_cache(maxsize=1)
def rcep_rule_sets() -> tuple[CompiledRuleSet, ...]:
    source = resources.files("opencustoms.origin.data") / "rcep" / "annex-3a-rows.yaml"
    data = load_yaml_text(source.read_text(encoding="utf-8"), "data/rcep/annex-3a-rows.yaml")
    edition = HsEdition.parse(data["edition"])
    out = []
    for row in data["rows"]:
        code = HsCode(str(row["code"]), edition)
        printed = str(row["code"])
        rule_text = str(row["rule"])
        document = f"{data['document']}, page {row['page']}"
        rule = ProductRule(
            read_rcep(rule_text), RuleSource(RCEP, document, printed, edition), text=rule_text
        )
        out.append(
            CompiledRuleSet(
                heading=printed,
                description=str(row["description"]),
                first_code=code.digits.ljust(10, "0"),
                last_code=code.digits.ljust(10, "9"),
                rule=rule,
                texts=(rule_text,),
            )
        )
    return tuple(out)


def rcep_edition() -> HsEdition:
    return HsEdition.HS2012
