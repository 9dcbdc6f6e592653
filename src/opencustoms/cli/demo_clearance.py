"""The demo's clearance scene: a certificate issued in Viet Nam checks a declaration in Korea.

Two more node processes on loopback, each with its own database in the demo's folder,
their clocks set to 2 February 2021: a drill, because the tariff shipped is derived from
the 2020–21 declarations (HS 2017). Viet Nam's certifying authority issues an ASEAN–Korea
certificate (Form AK) for goods going to Korea; Viet Nam's node delivers it; Korea's node
verifies and keeps it. Then three declarations are lodged in Korea: one whose preference
matches the certificate (granted as it is lodged), one claiming more than was certified
(denied, with its reasons, and assessed without the preference), and one on an
exporter's own origin declaration (sent to documentary review).
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opencustoms import bootstrap, presenters_clearance
from opencustoms.accounts.service import OPERATOR
from opencustoms.cli.common import out
from opencustoms.cli.demo_exchange import _free_port, _node_key, _node_process, _up, _wait
from opencustoms.i18n import _
from opencustoms.settings import Settings
from opencustoms.store import db
from opencustoms.trust.keys import Algorithm

KR, VN, AUTHORITY = "KR-NODE", "VN-NODE", "VN-MOIT"
DRILL_DAY = datetime(2021, 2, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul, within the tariff's years

FORM_AK = {
    "form": "akfta-ak",
    "issuing_authority": AUTHORITY,
    "exporter": {
        "name": "Công ty TNHH Nhựa Bình Dương",
        "address": "Lô A2, KCN Sóng Thần, Bình Dương",
        "country": "VN",
    },
    "importer": {
        "name": "한빛무역(주) Hanbit Trading Co., Ltd.",
        "address": "서울특별시 중구 세종대로 110",
        "country": "KR",
    },
    "export_country": "VN",
    "import_country": "KR",
    "currency": "USD",
    "transport": {
        "departure_date": "2021-02-01",
        "vessel_or_flight": "VIMC PIONEER 021N",
        "port_of_discharge": "Busan",
    },
    "items": [
        {
            "number": 1,
            "description": "plastic fittings for furniture",
            "packages": "40 cartons",
            "hs": "3926.90",
            "criterion": "WO",
            "quantity": "500",
            "unit": "KGM",
            "invoice": {"number": "BD-2021-0131", "date": "2021-01-31"},
        },
    ],
    "declaration": {"place": "Bình Dương", "date": "2021-02-01", "signatory": "Nguyễn Thị Lan"},
}


def _declaration(reference: str, **item: Any) -> dict[str, Any]:
    goods = {
        "hs_code": "3926909000",
        "rate_type": "FAS1",
        "price": "8000000",
        "currency": "KRW",
        "incoterm": "CIF",
        "net_mass": "480",
        "origin": "VN",
        "departure": "VN",
    } | item
    return {
        "reference": reference,
        "date": DRILL_DAY.date().isoformat(),
        "office": "30",
        "declarant": "HANBIT01",
        "importer": "HANBIT01",
        "seller": "BDPLASTIC",
        "transport_mode": "10",
        "items": [goods],
    }


def _database(folder: Path) -> str:
    return f"sqlite:///{(folder / 'node.db').as_posix()}"


def _config(path: Path, node: str, folder: Path, port: int, zone: str, offset: int) -> None:
    path.write_text(
        f'node_id = "{node}"\n'
        f'database_url = "{_database(folder)}"\n'
        f'data_dir = "{folder.as_posix()}"\n'
        f"port = {port}\n"
        f'public_url = "http://127.0.0.1:{port}"\n'
        f'office_timezone = "{zone}"\n'
        f"clock_offset_seconds = {offset}\n",
        encoding="utf-8",
    )


def clearance_scene(demo: bootstrap.Services) -> None:
    secret = demo.settings.key_passphrase
    assert secret is not None
    passphrase = secret.get_secret_value()
    folder = demo.settings.data_dir / "clearance-drill"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh drill each run
    offset = int((DRILL_DAY - datetime.now(UTC)).total_seconds())
    ports = {KR: _free_port(), VN: _free_port()}
    zones = {KR: "Asia/Seoul", VN: "Asia/Ho_Chi_Minh"}
    out.print()
    out.print(
        "[bold]"
        + _("Clearance: a declaration in Korea checked against a certificate from Viet Nam")
        + "[/]"
    )
    out.print(
        _("(a drill dated %(day)s: the tariff shipped is derived from the 2020–21 declarations)")
        % {"day": DRILL_DAY.date().isoformat()},
        markup=False,
    )
    nodes: dict[str, bootstrap.Services] = {}
    try:
        for node in (KR, VN):
            (folder / node).mkdir(parents=True)
            nodes[node] = bootstrap.build(
                Settings(
                    data_dir=folder / node,
                    database_url=_database(folder / node),
                    node_id=node,
                    port=ports[node],
                    office_timezone=zones[node],
                    key_passphrase=secret,
                    clock_offset_seconds=offset,
                    log_level="WARNING",
                )
            )
            db.upgrade(nodes[node].engine)
        kr, vn = nodes[KR], nodes[VN]
        today = vn.certificates.today()
        _node_key(kr, KR, "KR", today, passphrase)
        _node_key(vn, VN, "VN", today, passphrase)
        vn.keys.create(AUTHORITY, "VN", ["akfta"], Algorithm.ED25519, today, passphrase)
        kr.keys.import_trust(json.dumps(vn.keys.export()), "vn-trust.json")
        vn.keys.import_trust(json.dumps(kr.keys.export(KR)), "kr-trust.json")
        for here, there, country, name in (
            (kr, VN, "VN", "General Department of Vietnam Customs"),
            (vn, KR, "KR", "Korea Customs Service"),
        ):
            here.partners.add(
                OPERATOR,
                {
                    "node": there,
                    "country": country,
                    "name": name,
                    "url": f"http://127.0.0.1:{ports[there]}",
                    "links": [{"agreement": "akfta"}],
                },
            )
        configs = {}
        for node in (KR, VN):
            configs[node] = folder / node / "node.toml"
            _config(configs[node], node, folder / node, ports[node], zones[node], offset)
        with (
            _node_process(configs[KR], passphrase, folder / "kr-node.log"),
            _node_process(configs[VN], passphrase, folder / "vn-node.log"),
        ):
            kr_url, vn_url = (f"http://127.0.0.1:{ports[n]}" for n in (KR, VN))
            if not (_wait(lambda: _up(kr_url)) and _wait(lambda: _up(vn_url))):
                out.print(
                    _("The nodes did not start; their logs are in %(folder)s.") % {"folder": folder}
                )
                return
            _scene(kr, vn)
    finally:
        for svc in nodes.values():
            svc.close()


def _scene(kr: bootstrap.Services, vn: bootstrap.Services) -> None:
    out.print("[bold]$ opencustoms cert issue …[/]  [dim]# Viet Nam: Form AK for Korea[/]")
    applied = vn.certificates.apply_document(OPERATOR, FORM_AK, "form-ak.json")
    started = time.monotonic()
    issued = vn.certificates.issue(OPERATOR, applied.id, "Trần Văn Minh", "Bình Dương")
    number = issued.number or ""
    out.print(f"  {number}", markup=False)

    def arrived() -> bool:
        with kr.uow() as uow:
            return uow.received.get(AUTHORITY, number) is not None

    if not _wait(arrived):
        out.print(_("It did not arrive; see 'opencustoms exchange outbox'."), markup=False)
        return
    proof = {"kind": "certificate", "reference": number, "authority": AUTHORITY}
    declarations = [
        _declaration("43210-21-100001", proof=proof),
        _declaration("43210-21-100002", net_mass="600", proof=proof),
        _declaration(
            "43210-21-100003",
            rate_type="FEU1",
            origin="DE",
            departure="DE",
            proof={"kind": "origin-declaration", "reference": "DE-INV-2021-118"},
        ),
    ]
    out.print("[bold]$ opencustoms declare lodge declarations.json[/]  [dim]# Korea[/]")
    for data in declarations:
        record, _replayed = kr.clearance.lodge(OPERATOR, data)
        took = (time.monotonic() - started) * 1000
        shown = presenters_clearance.declaration(
            record, kr.office_zone, kr.clearance.decisions(OPERATOR, record.id)
        )
        [decision] = shown["preferences"]
        out.print(
            _("%(reference)s %(rate_type)s: %(outcome)s; duty %(duty)s %(currency)s")
            % {
                "reference": record.reference,
                "rate_type": decision["rate_type"],
                "outcome": _(presenters_clearance.OUTCOMES[decision["outcome"]]),
                "duty": shown["assessment"]["duty"],
                "currency": shown["assessment"]["currency"],
            },
            markup=False,
        )
        if decision["outcome"] == "granted":
            out.print(
                "  "
                + _("matched with %(number)s from Viet Nam %(ms)s ms after it was issued")
                % {"number": number, "ms": f"{took:.0f}"},
                markup=False,
            )
        for reason in decision["reasons"]:
            out.print(f"  {reason['message']}", markup=False)
