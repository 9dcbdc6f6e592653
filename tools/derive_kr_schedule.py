"""Derive the Korean tariff schedule shipped in clearance/data/kr/schedule.csv from the
customs declarations dataset (../shared/data/customs-declarations/*_ko_hs10.csv).

For each ten-digit HSK code (HS 2017), rate type and calendar year, the rate the dataset's
declarations show most often (ties: the lower) becomes a line valid from 1 January to
31 December of that year; the last year seen for a code and rate type stays in force
until a loaded schedule replaces it. The dataset is synthetic and follows real declarations, so a
rate here is what was observed, not the published schedule: load a full schedule
(`opencustoms tariff import`) for real use.

Usage: python tools/derive_kr_schedule.py [DATA_DIR] [OUT_CSV]
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "customs-declarations"
OUT = ROOT / "src" / "opencustoms" / "clearance" / "data" / "kr" / "schedule.csv"
FILES = ("df_syn_train_ko_hs10.csv", "df_syn_valid_ko_hs10.csv")
CODE, DAY, RATE, TYPE = "HS10단위부호", "신고일자", "관세율", "관세율구분코드"


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else OUT
    seen: dict[tuple[str, str, str], Counter[Decimal]] = defaultdict(Counter)
    for name in FILES:
        with open(data / name, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                code = row[CODE].strip().zfill(10)  # spreadsheets dropped leading zeros
                key = (code, row[TYPE].strip(), row[DAY][:4])
                seen[key][Decimal(row[RATE])] += 1
    last = {}
    for code, rate_type, year in seen:
        last[(code, rate_type)] = max(year, last.get((code, rate_type), year))
    rows = []
    for (code, rate_type, year), rates in sorted(seen.items()):
        rate, count = min(rates.items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(rates.values())
        until = "" if last[(code, rate_type)] == year else f"{year}-12-31"
        rows.append(
            [code, "HS2017", rate_type, f"{year}-01-01", until,
             f"{rate.normalize():f}%", f"observed in {count} of {total} declarations of {year}"]
        )  # fmt: skip
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "edition", "rate_type", "valid_from", "valid_to", "duty", "source"])
        w.writerows(rows)
    codes = {r[0] for r in rows}
    basic = {r[0] for r in rows if r[2] in ("A", "C")}
    print(f"{len(rows)} lines, {len(codes)} codes, {len(codes - basic)} with no A or C rate")


if __name__ == "__main__":
    main()
