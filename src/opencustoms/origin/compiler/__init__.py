"""The compiler from legal prose to rule trees.

`compile_text` reads one rule's text; `compile_rule_set` reads a rule set of
the UK tariff's format (several rules joined by `operator`). What cannot be
read with certainty becomes `NeedsReview` with its text: never a guess.
"""
