"""The demo's exchange scene: Korea's and Viet Nam's nodes as two processes on loopback.

Korea's node works on the demo's database; Viet Nam's has its own (SQLite, in the
demo's folder). Each signs its messages with its own node key, and each holds the
other's keys from its trust list. Korea issues an RCEP certificate for an export to
Viet Nam; its node delivers it; Viet Nam's node verifies it and keeps it, and the
scene shows the time it took; then Viet Nam's customs tells Korea the preference was
applied, and the notice arrives on Korea's certificate.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx2

from opencustoms import bootstrap
from opencustoms.accounts.service import OPERATOR, Context
from opencustoms.certificates.lifecycle import EventKind
from opencustoms.cli.common import out
from opencustoms.i18n import _
from opencustoms.settings import CONFIG_VARIABLE, Settings
from opencustoms.store import db
from opencustoms.trust.keys import Algorithm

KR, VN = "KR-NODE", "VN-NODE"
WAIT_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _node_key(
    svc: bootstrap.Services, node: str, country: str, today: date, passphrase: str
) -> None:
    """The node's message-signing key, created once."""
    usable = [
        k
        for k in svc.keys.keys(node)
        if k.agreements == ("exchange",) and k.valid_on(today) and k.revoked_at is None
    ]
    if not usable:
        svc.keys.create(node, country, ["exchange"], Algorithm.ED25519, today, passphrase)


def _partner(svc: bootstrap.Services, node: str, country: str, name: str, url: str) -> None:
    """Register the other node (or point it at this run's address)."""
    data = {
        "node": node,
        "country": country,
        "name": name,
        "url": url,
        "links": [{"agreement": "rcep", "reply_days": 90}],
    }
    known = {p.node for p in svc.partners.list(OPERATOR)}
    if node in known:
        svc.partners.update(OPERATOR, node, data)
    else:
        svc.partners.add(OPERATOR, data)


def _wait(check: Callable[[], bool], seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def _up(url: str) -> bool:
    try:
        return httpx2.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx2.TransportError:
        return False


@contextmanager
def _node_process(config: Path, passphrase: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "OPENCUSTOMS_KEY_PASSPHRASE": passphrase,
        CONFIG_VARIABLE: "",
        "OPENCUSTOMS_LOG_LEVEL": "WARNING",
    }
    for name in ("OPENCUSTOMS_DATABASE_URL", "OPENCUSTOMS_DATA_DIR", "OPENCUSTOMS_NODE_ID"):
        env.pop(name, None)  # the node's own file says
    with log.open("w") as sink:
        process = subprocess.Popen(  # noqa: S603 (this Python, this package, our own file)
            [sys.executable, "-m", "opencustoms.cli", "node", "serve", "--config", str(config)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _config(path: Path, node: str, database_url: str, folder: Path, port: int, zone: str) -> None:
    path.write_text(
        f'node_id = "{node}"\n'
        f'database_url = "{database_url}"\n'
        f'data_dir = "{folder.as_posix()}"\n'
        f"port = {port}\n"
        f'public_url = "http://127.0.0.1:{port}"\n'
        f'office_timezone = "{zone}"\n',
        encoding="utf-8",
    )


def exchange_scene(
    demo: bootstrap.Services, officer: Context, application: Mapping[str, Any]
) -> None:
    """Run the scene; `officer` issues for Korea, `application` is an RCEP application
    whose import country the scene sets to Viet Nam."""
    secret = demo.settings.key_passphrase
    assert secret is not None
    passphrase = secret.get_secret_value()
    folder = demo.settings.data_dir
    vn_folder = folder / "vn-node"
    kr_port, vn_port = _free_port(), _free_port()
    kr_url, vn_url = f"http://127.0.0.1:{kr_port}", f"http://127.0.0.1:{vn_port}"
    kr_settings = demo.settings.model_copy(update={"node_id": KR, "port": kr_port})
    vn_settings = Settings(
        data_dir=vn_folder,
        node_id=VN,
        port=vn_port,
        office_timezone="Asia/Ho_Chi_Minh",
        key_passphrase=secret,
        log_level="WARNING",
    )
    out.print()
    out.print(
        "[bold]"
        + _("The exchange: Korea's node and Viet Nam's node, two processes on loopback")
        + "[/]"
    )
    kr, vn = bootstrap.build(kr_settings), bootstrap.build(vn_settings)
    try:
        db.upgrade(vn.engine)
        today = kr.certificates.today()
        _node_key(kr, KR, "KR", today, passphrase)
        _node_key(vn, VN, "VN", today, passphrase)
        vn.keys.import_trust(json.dumps(kr.keys.export()), "kr-trust.json")
        kr.keys.import_trust(json.dumps(vn.keys.export(VN)), "vn-trust.json")
        _partner(kr, VN, "VN", "General Department of Vietnam Customs", vn_url)
        _partner(vn, KR, "KR", "Korea Customs Service", kr_url)
        kr_config, vn_config = folder / "kr-node.toml", vn_folder / "vn-node.toml"
        _config(kr_config, KR, kr_settings.effective_database_url, folder, kr_port, "Asia/Seoul")
        _config(
            vn_config,
            VN,
            vn_settings.effective_database_url,
            vn_folder,
            vn_port,
            "Asia/Ho_Chi_Minh",
        )
        out.print(f"[bold]$ opencustoms node serve --config {kr_config}[/]")
        out.print(f"[bold]$ opencustoms node serve --config {vn_config}[/]")
        with (
            _node_process(kr_config, passphrase, folder / "kr-node.log"),
            _node_process(vn_config, passphrase, vn_folder / "vn-node.log"),
        ):
            if not (_wait(lambda: _up(kr_url)) and _wait(lambda: _up(vn_url))):
                out.print(
                    _("The nodes did not start; their logs are in %(folder)s.") % {"folder": folder}
                )
                return
            _scene(kr, vn, officer, application)
    finally:
        kr.close()
        vn.close()


def _scene(
    kr: bootstrap.Services,
    vn: bootstrap.Services,
    officer: Context,
    application: Mapping[str, Any],
) -> None:
    to_vietnam = json.loads(json.dumps(application))
    to_vietnam["import_country"] = "VN"
    to_vietnam["importer"] = {
        "name": "Công ty TNHH Điện thoại Hà Nội",
        "address": "12 Phố Huế, Hai Bà Trưng, Hà Nội",
        "country": "VN",
    }
    to_vietnam["transport"]["port_of_discharge"] = "Noi Bai"
    to_vietnam["transport"]["route"] = "Incheon to Hanoi by air"
    assert officer.principal is not None
    assert officer.principal.account is not None
    applied = kr.certificates.apply_document(OPERATOR, to_vietnam, "application-vn.json")
    out.print(
        "[bold]$ opencustoms cert issue …[/]  [dim]# Korea: an RCEP certificate for Viet Nam[/]"
    )
    started = time.monotonic()
    issued = kr.certificates.issue(officer, applied.id, officer.principal.account.name, "Busan")
    number = issued.number or ""
    out.print(f"  {number}", markup=False)

    def arrived() -> bool:
        with vn.uow() as uow:
            return uow.received.get(issued.authority, number) is not None

    if not _wait(arrived):
        out.print(_("It did not arrive; see 'opencustoms exchange outbox'."), markup=False)
        return
    took = (time.monotonic() - started) * 1000
    verdict = vn.certificates.verify(issued.signed, vn.certificates.today())
    out.print(
        _("Arrived in Viet Nam in %(ms)s ms, verified: %(verdict)s (status: %(status)s)")
        % {
            "ms": f"{took:.0f}",
            "verdict": _("VALID") if verdict.valid else _("NOT VALID"),
            "status": verdict.check("status").render(_),
        },
        markup=False,
    )
    out.print(
        "[bold]$ opencustoms exchange utilization …[/]  [dim]# Viet Nam: preference applied[/]"
    )
    started = time.monotonic()
    vn.exchange.send_utilization(
        OPERATOR, issued.authority, number, "applied", "VN-104-2026-000731", vn.certificates.today()
    )

    def noticed() -> bool:
        return any(
            e.kind == EventKind.UTILIZATION for e in kr.certificates.history(OPERATOR, issued.id)
        )

    if _wait(noticed):
        took = (time.monotonic() - started) * 1000
        out.print(
            _("Korea's certificate %(number)s now records: preference applied in VN (%(ms)s ms)")
            % {"number": number, "ms": f"{took:.0f}"},
            markup=False,
        )
    out.print(
        _(
            "Korea's messages in and out: http://127.0.0.1:8000/exchange once the demo serves (sign in with the customs_admin token below); Viet Nam's node: opencustoms node serve --config %(config)s"
        )
        % {"config": vn.settings.data_dir / "vn-node.toml"},
        markup=False,
    )
