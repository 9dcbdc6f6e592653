"""Rules of origin: the rule language, the compiler from legal text, agreements."""
