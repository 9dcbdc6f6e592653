"""Sample documents the tests share."""

import json
from pathlib import Path

from opencustoms.certificates.io import read_certificate

FIXTURES = Path(__file__).parent / "fixtures"
RCEP_KR_JP = json.loads((FIXTURES / "certificates" / "rcep-kr-jp.json").read_text())
# the sample certificate as an exporter applies for it (exported from Korea to Japan,
# under RCEP): no number, certification or issue yet
APPLICATION = read_certificate(
    {
        k: v
        for k, v in RCEP_KR_JP.items()
        if k not in {"number", "certification", "issue_date", "issue_place", "replaces"}
    }
)

# an item of an import declaration, as `clearance/goods_io.py` reads it
CLEARANCE_ITEM = {
    "hs_code": "3926.90.9000",
    "rate_type": "FCN1",
    "price": "1000",
    "currency": "USD",
    "incoterm": "FOB",
    "freight": "120",
    "insurance": "5",
    "net_mass": "12.5",
}
