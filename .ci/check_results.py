"""Fail unless the PostgreSQL and browser tests ran and none of them was skipped.

Reads the JUnit XML that `make test` writes.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET  # noqa: N817

# the test modules that drive headless Chromium
BROWSER_MODULES = {"test_browser", "test_verify_page"}
REQUIRED = {
    "PostgreSQL": lambda name, cls: "postgresql" in name,
    "browser": lambda name, cls: cls.rsplit(".", 1)[-1] in BROWSER_MODULES,
}


def main(path: str) -> int:
    cases = list(ET.parse(path).getroot().iter("testcase"))  # noqa: S314 - our own test report
    status = 0
    for label, matches in REQUIRED.items():
        chosen = [c for c in cases if matches(c.get("name", ""), c.get("classname", ""))]
        skipped = [c for c in chosen if c.find("skipped") is not None]
        ran = len(chosen) - len(skipped)
        print(f"{label} tests: {ran} ran, {len(skipped)} skipped")
        if not chosen or skipped:
            for c in skipped[:5]:
                print(f"  skipped: {c.get('classname')}::{c.get('name')}: {c.find('skipped').get('message')}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".test-results.xml"))
