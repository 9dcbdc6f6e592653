"""Copy the UK tariff's rules-of-origin data into the package, compactly.

Usage: python tools/vendor_uk_rules.py SOURCE_DIR
  Writes src/opencustoms/origin/data/uk/: rule_sets/<scheme>.json.gz (minified),
  roo_schemes_uk.json.gz, and LICENCE.txt. Run it when the UK publishes new rules;
  users can also load a newer folder at run time with `opencustoms origin import-uk`.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "opencustoms" / "origin" / "data" / "uk"


def _write(data: object, path: Path) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # mtime=0: the same input gives the same bytes, so git sees no change
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(text.encode("utf-8"))


def main(source: Path) -> None:
    (TARGET / "rule_sets").mkdir(parents=True, exist_ok=True)
    for old in (TARGET / "rule_sets").glob("*.json.gz"):
        old.unlink()
    for path in sorted((source / "rule_sets").glob("*.json")):
        _write(
            json.loads(path.read_text(encoding="utf-8")), TARGET / "rule_sets" / f"{path.name}.gz"
        )
    _write(
        json.loads((source / "roo_schemes_uk.json").read_text(encoding="utf-8")),
        TARGET / "roo_schemes_uk.json.gz",
    )
    shutil.copy(source / "LICENCE.txt", TARGET / "LICENCE.txt")
    print(f"wrote {sum(1 for _ in (TARGET / 'rule_sets').glob('*.gz'))} rule sets to {TARGET}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
