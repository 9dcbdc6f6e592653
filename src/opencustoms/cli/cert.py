"""`opencustoms cert`: certificates of origin from application to verification."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import typer

from opencustoms import presenters
from opencustoms.accounts.service import Context
from opencustoms.certificates.lifecycle import (
    LABELS,
    EventKind,
    Outcome,
    Status,
    StoredCertificate,
    Utilization,
)
from opencustoms.certificates.signed import CHECK_LABELS, Verdict
from opencustoms.certificates.signed import Outcome as CheckOutcome
from opencustoms.cli.common import (
    JsonOption,
    fail,
    migrated_services,
    out,
    print_json,
    read_text,
    write_file,
)
from opencustoms.i18n import _
from opencustoms.kernel.dates import legal_date, parse_legal_date

app = typer.Typer(
    help=_("Certificates of origin: apply, issue, replace, revoke, export and verify."),
    no_args_is_help=True,
)
OPERATOR = Context(None)  # the operator at the command line acts for the node


def _writable(path: Path) -> None:
    """Refuse an output path that cannot be written before anything is done or recorded."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        fail(
            _("Cannot write %(path)s: %(reason)s")
            % {"path": path, "reason": _("no such folder, or not writable")}
        )


def _certificate(path: Path) -> Any:
    from opencustoms.certificates.io import read_certificate

    return read_certificate(read_text(path), path.name)


def _day(value: str | None, name: str) -> date | None:
    return parse_legal_date(value, name) if value else None


def _done(r: StoredCertificate, as_json: bool) -> None:
    if as_json:
        print_json(presenters.certificate(r))
        return
    if r.number:
        line = _("Certificate %(number)s: %(status)s (id %(id)s)") % {
            "number": r.number,
            "status": _(LABELS[r.status]),
            "id": r.id,
        }
    else:
        line = _("Certificate %(id)s: %(status)s") % {"id": r.id, "status": _(LABELS[r.status])}
    out.print(line, markup=False)


@app.command("apply", help=_("Apply for a certificate from a JSON file (or keep it as a draft)."))
def apply(
    file: Path = typer.Argument(
        ...,
        help=_(
            "The certificate data, JSON; an item may name a kept origin determination "
            '("determination": ID) to be filled from it.'
        ),
    ),
    draft: bool = typer.Option(False, "--draft", help=_("Keep it as a draft: not checked yet.")),
    as_json: bool = JsonOption,
) -> None:
    text = read_text(file)
    svc = migrated_services()
    try:
        r = svc.certificates.apply_document(OPERATOR, text, file.name, draft=draft)
    finally:
        svc.close()
    _done(r, as_json)


@app.command("submit", help=_("Submit a draft as an application."))
def submit(
    ref: str = typer.Argument(..., help=_("The certificate's id.")), as_json: bool = JsonOption
) -> None:
    svc = migrated_services()
    try:
        r = svc.certificates.submit(OPERATOR, ref)
    finally:
        svc.close()
    _done(r, as_json)


@app.command(
    "issue",
    help=_(
        "Issue applications: number, certify and sign them. Several are issued together, "
        "numbered in the order given: all of them, or none."
    ),
)
def issue(
    refs: list[str] = typer.Argument(..., help=_("The ids of the applications.")),
    officer: str = typer.Option(..., "--officer", help=_("The certifying officer's name.")),
    place: str = typer.Option(..., "--place", help=_("The place of issue.")),
    on: str | None = typer.Option(None, "--on", help=_("The issue date (default today).")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        issued = svc.certificates.issue_many(OPERATOR, refs, officer, place, _day(on, "on"))
    finally:
        svc.close()
    if as_json and len(issued) > 1:
        print_json([presenters.certificate(r) for r in issued])
        return
    for r in issued:
        _done(r, as_json)


@app.command("reject", help=_("Reject an application, saying why."))
def reject(
    ref: str = typer.Argument(..., help=_("The certificate's id.")),
    reason: str = typer.Option(..., "--reason", help=_("Why, in words.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        r = svc.certificates.reject(OPERATOR, ref, reason)
    finally:
        svc.close()
    _done(r, as_json)


@app.command("revoke", help=_("Revoke an issued certificate, saying why."))
def revoke(
    ref: str = typer.Argument(..., help=_("The certificate's number or id.")),
    reason: str = typer.Option(..., "--reason", help=_("Why, in words.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        r = svc.certificates.revoke(OPERATOR, svc.certificates.get(OPERATOR, ref).id, reason)
    finally:
        svc.close()
    _done(r, as_json)


@app.command("replace", help=_("Issue a new certificate in place of an issued one."))
def replace_cert(
    ref: str = typer.Argument(..., help=_("The number or id of the certificate replaced.")),
    file: Path = typer.Argument(..., help=_("The new certificate's data, JSON.")),
    reason: str = typer.Option(..., "--reason", help=_("Why, in words.")),
    officer: str = typer.Option(..., "--officer", help=_("The certifying officer's name.")),
    place: str = typer.Option(..., "--place", help=_("The place of issue.")),
    as_json: bool = JsonOption,
) -> None:
    cert = _certificate(file)
    svc = migrated_services()
    try:
        old = svc.certificates.get(OPERATOR, ref)
        r = svc.certificates.replace(OPERATOR, old.id, cert, reason, officer, place)
    finally:
        svc.close()
    _done(r, as_json)


@app.command("copy", help=_("A certified true copy: same number and date, signed again."))
def true_copy(
    ref: str = typer.Argument(..., help=_("The certificate's number or id.")),
    target: Path = typer.Option(..., "--out", help=_("The file to write.")),
) -> None:
    _writable(target)  # a copy is recorded when made: first be sure it can be written
    svc = migrated_services()
    try:
        document = svc.certificates.true_copy(OPERATOR, svc.certificates.get(OPERATOR, ref).id)
    finally:
        svc.close()
    write_file(target, document)
    out.print(_("Wrote the certified true copy to %(path)s.") % {"path": target}, markup=False)


@app.command("utilization", help=_("Record the importing country's use of a certificate."))
def utilization(
    number: str = typer.Argument(..., help=_("The certificate's number.")),
    authority: str = typer.Option(..., "--authority", help=_("The issuing authority's id.")),
    country: str = typer.Option(..., "--country", help=_("The importing country, e.g. JP.")),
    outcome: Outcome = typer.Option(..., "--outcome", help=_("applied or denied.")),
    declaration: str = typer.Option(
        ..., "--declaration", help=_("The import declaration's number.")
    ),
    on: str = typer.Option(..., "--on", help=_("The day the preference was decided.")),
    reason: str | None = typer.Option(None, "--reason", help=_("Why it was denied.")),
    as_json: bool = JsonOption,
) -> None:
    from opencustoms.kernel.countries import Country

    notice = Utilization(
        Country(country).alpha2, outcome, declaration, parse_legal_date(on, "on"), reason
    )
    svc = migrated_services()
    try:
        r = svc.certificates.record_utilization(OPERATOR, authority, number, notice)
    finally:
        svc.close()
    _done(r, as_json)


@app.command("list", help=_("Certificates, newest first."))
def list_certificates(
    status: Status | None = typer.Option(None, "--status", help=_("Only those with this status.")),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help=_("At most this many.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        found = svc.certificates.find(OPERATOR, status, limit)
    finally:
        svc.close()
    if as_json:
        print_json([presenters.certificate(r) for r in found])
        return
    for r in found:
        out.print(
            f"{r.label}  {_(LABELS[r.status])}  {r.form}  {r.certificate.export_country}→"
            f"{r.certificate.import_country}  {r.certificate.exporter.name}",
            markup=False,
        )


@app.command("show", help=_("A certificate, its status and its history."))
def show(
    ref: str = typer.Argument(..., help=_("The certificate's number or id.")),
    authority: str | None = typer.Option(
        None, "--authority", help=_("The issuing authority, where numbers of two clash.")
    ),
    as_json: bool = JsonOption,
) -> None:
    from opencustoms.certificates.io import certificate_json

    svc = migrated_services()
    try:
        r = svc.certificates.get(OPERATOR, ref, authority)
        history = svc.certificates.history(OPERATOR, r.id)
        zone = svc.office_zone
    finally:
        svc.close()
    events = [presenters.certificate_event(e, zone) for e in history]
    if as_json:
        print_json(
            presenters.certificate(r)
            | {"certificate": certificate_json(r.certificate), "history": events}
        )
        return
    c = r.certificate
    out.print(f"{r.label}  {_(LABELS[r.status])}", markup=False, style="bold")
    rows = [
        (_("Form"), r.form),
        (_("Issuing authority"), r.authority),
        (_("Issue date"), c.issue_date.isoformat() if c.issue_date else "-"),
        (_("Exporter"), f"{c.exporter.name}, {c.exporter.address} ({c.exporter.country})"),
        (_("Importer"), f"{c.importer.name}, {c.importer.address} ({c.importer.country})"),
        (_("Route"), f"{c.export_country} → {c.import_country}"),
    ]
    if r.reason:
        rows.append((_("Reason"), r.reason))
    for label, value in rows:
        out.print(f"  {label}: {value}", markup=False)
    for item in c.items:
        qty = f"{item.quantity} {item.unit or ''}".strip() if item.quantity is not None else ""
        code = f"{item.hs or '-'}  {item.criterion or '-'}"
        out.print(f"  {item.number}. {code}  {item.description}  {qty}", markup=False)
    out.print(_("History"), markup=False, style="bold")
    for e in events:
        kind = _(LABELS.get(EventKind(str(e["kind"])), str(e["kind"])))
        out.print(f"  {e['at']}  {kind}  {e['actor'] or ''}", markup=False)


@app.command("export", help=_("Write an issued certificate's signed document (JSON)."))
def export(
    ref: str = typer.Argument(..., help=_("The certificate's number or id.")),
    target: Path = typer.Option(..., "--out", help=_("The file to write.")),
) -> None:
    svc = migrated_services()
    try:
        document = svc.certificates.signed_document(OPERATOR, ref)
    finally:
        svc.close()
    write_file(target, document)
    out.print(_("Wrote the signed certificate to %(path)s.") % {"path": target}, markup=False)


@app.command("pdf", help=_("Print a certificate as its form, with its QR code, to a PDF file."))
def pdf(
    ref: str = typer.Argument(..., help=_("The certificate's number or id.")),
    target: Path = typer.Option(..., "--out", help=_("The file to write.")),
) -> None:
    svc = migrated_services()
    try:
        data = svc.certificates.pdf(OPERATOR, ref, _)
    finally:
        svc.close()
    write_file(target, data)
    out.print(_("Wrote %(path)s.") % {"path": target}, markup=False)


@app.command(
    "verify",
    help=_("Verify a signed certificate: exit 0 if valid, 1 if not, 2 if the file cannot be used."),
)
def verify_cmd(
    file: Path = typer.Argument(..., help=_("The signed certificate, JSON.")),
    at: str | None = typer.Option(None, "--at", help=_("Verify as on this day (default today).")),
    trust: Path | None = typer.Option(
        None,
        "--trust",
        help=_("Verify offline against this trust list (JWKS), without this node's database."),
    ),
    as_json: bool = JsonOption,
) -> None:
    text = read_text(file)
    if trust is not None:
        # offline: the trust list file and the shipped forms, no database; the status is
        # not checked (no register of revocations is at hand)
        from opencustoms.certificates.forms.loader import shipped_forms
        from opencustoms.certificates.signed import verify
        from opencustoms.kernel.dates import SystemClock, zone
        from opencustoms.settings import Settings
        from opencustoms.trust.keys import import_trust_list

        keys = import_trust_list(read_text(trust), trust.name)
        office = zone(Settings().office_timezone)
        day = _day(at, "at") or legal_date(SystemClock().now(), office)
        verdict = verify(text, day, {k.kid: k for k in keys}, shipped_forms())
    else:
        svc = migrated_services()
        try:
            day = _day(at, "at") or svc.certificates.today()
            verdict = svc.certificates.verify(text, day)
        finally:
            svc.close()
    _report(verdict, as_json)
    if verdict.check("structure").outcome is CheckOutcome.FAILED:
        raise typer.Exit(2)
    raise typer.Exit(0 if verdict.valid else 1)


def _report(verdict: Verdict, as_json: bool) -> None:
    c = verdict.certificate
    if as_json:
        print_json(presenters.verdict(verdict, _))
        return
    head = _("VALID") if verdict.valid else _("NOT VALID")
    label = f"{c.number} ({c.issuing_authority})" if c else ""
    out.print(f"{head}  {label}", markup=False, style="bold green" if verdict.valid else "bold red")
    marks = {CheckOutcome.OK: "✓", CheckOutcome.FAILED: "✗", CheckOutcome.NOT_CHECKED: "–"}
    for k in verdict.checks:
        out.print(f"  {marks[k.outcome]} {_(CHECK_LABELS[k.name])}: {k.render(_)}", markup=False)
