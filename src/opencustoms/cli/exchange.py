"""`opencustoms exchange`: what the node sent and received, dead letters to re-drive,
utilization notices, verification requests and their answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from rich.table import Table

from opencustoms import bootstrap, presenters
from opencustoms.accounts.service import OPERATOR
from opencustoms.cli.common import JsonOption, migrated_services, out, print_json
from opencustoms.exchange.inbox import Reception
from opencustoms.exchange.outbox import Delivery
from opencustoms.exchange.verification import OUTCOMES
from opencustoms.i18n import _
from opencustoms.kernel.dates import legal_date, parse_legal_date

app = typer.Typer(
    help=_(
        "The origin data exchange: messages in and out, dead letters, utilization notices "
        "and verification requests."
    ),
    no_args_is_help=True,
)
LimitOption = typer.Option(50, "--limit", min=1, max=1000, help=_("At most this many."))
T = TypeVar("T")


def _with(work: Callable[[bootstrap.Services], T]) -> T:
    svc = migrated_services()
    try:
        return work(svc)
    finally:
        svc.close()


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


@app.command("status", help=_("Messages out and in per state, and open verifications."))
def status(as_json: bool = JsonOption) -> None:
    shown = presenters.exchange_status(_with(lambda s: s.exchange.status(OPERATOR)))
    if as_json:
        print_json(shown)
        return
    out.print(_("Node: %(node)s") % {"node": shown["node"] or "-"}, markup=False)
    for label, counts in ((_("out"), shown["outgoing"]), (_("in"), shown["incoming"])):
        line = ", ".join(f"{k} {v}" for k, v in counts.items()) or "-"
        out.print(f"{label}: {line}", markup=False)
    if shown["oldest_pending"]:
        out.print(
            _("Oldest message waiting to go: %(at)s") % {"at": shown["oldest_pending"]},
            markup=False,
        )
    out.print(
        _("Verifications open: %(open)s, overdue: %(overdue)s")
        % {"open": shown["open_verifications"], "overdue": shown["overdue_verifications"]},
        markup=False,
    )


def _outbox(state: Delivery | None, limit: int, as_json: bool) -> None:
    found = _with(lambda s: s.exchange.outgoing(OPERATOR, state, limit))
    rows = [presenters.outgoing(o) for o in found]
    if as_json:
        print_json(rows)
        return
    _table(
        [_("message"), _("type"), _("to"), _("state"), _("attempts"), _("last error")],
        [(r["id"], r["type"], r["to"], r["state"], r["attempts"], r["last_error"]) for r in rows],
    )


@app.command("outbox", help=_("Messages to partner nodes, oldest first."))
def outbox(
    state: Delivery | None = typer.Option(None, "--state", help=_("Only in this state.")),
    limit: int = LimitOption,
    as_json: bool = JsonOption,
) -> None:
    _outbox(state, limit, as_json)


@app.command(
    "dead-letters", help=_("Messages given up after their attempts: to look at, then retry.")
)
def dead_letters(limit: int = LimitOption, as_json: bool = JsonOption) -> None:
    _outbox(Delivery.DEAD, limit, as_json)


@app.command("retry", help=_("Re-drive a dead-lettered message: a new round of attempts from now."))
def retry(message_id: str = typer.Argument(..., help=_("The message's id."))) -> None:
    again = _with(lambda s: s.exchange.retry(OPERATOR, message_id))
    out.print(
        _("Message %(id)s to %(to)s will be delivered again.")
        % {"id": again.envelope.id, "to": again.envelope.receiver},
        markup=False,
    )


@app.command("inbox", help=_("Messages received from partner nodes, newest first."))
def inbox(
    state: Reception | None = typer.Option(None, "--state", help=_("Only in this state.")),
    limit: int = LimitOption,
    as_json: bool = JsonOption,
) -> None:
    found = _with(lambda s: s.exchange.incoming(OPERATOR, state, limit))
    rows = [presenters.incoming(i) for i in found]
    if as_json:
        print_json(rows)
        return
    _table(
        [_("message"), _("type"), _("from"), _("state"), _("reasons")],
        [(r["id"], r["type"], r["from"], r["state"], "; ".join(r["reasons"])) for r in rows],
    )


@app.command("received", help=_("Certificates received from partner nodes, newest first."))
def received(limit: int = LimitOption, as_json: bool = JsonOption) -> None:
    rows = [
        presenters.received_certificate(r)
        for r in _with(lambda s: s.exchange.received(OPERATOR, limit))
    ]
    if as_json:
        print_json(rows)
        return
    _table(
        [_("number"), _("authority"), _("from"), _("status"), _("issued"), _("received")],
        [
            (r["number"], r["authority"], r["from"], r["status"], r["issued_on"], r["received_at"])
            for r in rows
        ],
    )


@app.command(
    "utilization",
    help=_("Tell the issuing country a received certificate's preference was applied or denied."),
)
def utilization(
    authority: str = typer.Argument(..., help=_("The issuing authority, e.g. VN-MOIT.")),
    number: str = typer.Argument(..., help=_("The certificate's number.")),
    outcome: str = typer.Option(..., "--outcome", help=_("applied or denied.")),
    declaration: str = typer.Option(
        ..., "--declaration", help=_("The import declaration's number.")
    ),
    on: str | None = typer.Option(None, "--on", help=_("The day decided (default today).")),
    reason: str | None = typer.Option(None, "--reason", help=_("Why it was denied.")),
    as_json: bool = JsonOption,
) -> None:
    def send(s: bootstrap.Services) -> dict[str, Any]:
        day = parse_legal_date(on, "on") if on else legal_date(s.clock.now(), s.office_zone)
        sent = s.exchange.send_utilization(
            OPERATOR, authority, number, outcome, declaration, day, reason
        )
        return presenters.outgoing(sent)

    shown = _with(send)
    if as_json:
        print_json(shown)
        return
    out.print(
        _("Utilization notice %(id)s to %(to)s recorded: it goes with the next delivery.")
        % {"id": shown["id"], "to": shown["to"]},
        markup=False,
    )


@app.command("request", help=_("Ask the issuing country to verify a received certificate."))
def request(
    authority: str = typer.Argument(..., help=_("The issuing authority, e.g. VN-MOIT.")),
    number: str = typer.Argument(..., help=_("The certificate's number.")),
    question: list[str] = typer.Option(..., "--question", help=_("A question (repeatable).")),
    document: list[str] = typer.Option([], "--document", help=_("A document asked (repeatable).")),
    as_json: bool = JsonOption,
) -> None:
    case = _with(
        lambda s: s.exchange.request_verification(OPERATOR, authority, number, question, document)
    )
    if as_json:
        print_json(presenters.verification(case))
        return
    out.print(
        _("Verification request %(id)s sent to %(to)s: an answer is due by %(day)s.")
        % {"id": case.id, "to": case.partner, "day": case.reply_by.isoformat()},
        markup=False,
    )


@app.command("answer", help=_("Answer a partner's verification request."))
def answer(
    request_id: str = typer.Argument(..., help=_("The request's id.")),
    outcome: str = typer.Option(..., "--outcome", help=", ".join(OUTCOMES)),
    finding: list[str] = typer.Option([], "--finding", help=_("A finding (repeatable).")),
    document: list[str] = typer.Option([], "--document", help=_("A document sent (repeatable).")),
    as_json: bool = JsonOption,
) -> None:
    case = _with(
        lambda s: s.exchange.answer_verification(OPERATOR, request_id, outcome, finding, document)
    )
    if as_json:
        print_json(presenters.verification(case))
        return
    out.print(
        _("Answer to %(id)s sent to %(to)s: %(outcome)s.")
        % {"id": case.id, "to": case.partner, "outcome": outcome},
        markup=False,
    )


@app.command("verifications", help=_("Verification requests, asked and answered, newest first."))
def verifications(
    open_only: bool = typer.Option(False, "--open", help=_("Only those not answered.")),
    overdue: bool = typer.Option(False, "--overdue", help=_("Only those past their day.")),
    limit: int = LimitOption,
    as_json: bool = JsonOption,
) -> None:
    def find(s: bootstrap.Services) -> list[dict[str, Any]]:
        today = legal_date(s.clock.now(), s.office_zone)
        cases = s.exchange.verifications(OPERATOR, open_only, overdue, limit)
        return [presenters.verification(c, today) for c in cases]

    rows = _with(find)
    if as_json:
        print_json(rows)
        return
    _table(
        [
            _("request"),
            _("side"),
            _("partner"),
            _("number"),
            _("reply by"),
            _("state"),
            _("outcome"),
        ],
        [
            (
                r["id"],
                r["side"],
                r["partner"],
                r["number"],
                r["reply_by"] + (" !" if r["overdue"] else ""),
                r["state"],
                r["outcome"],
            )
            for r in rows
        ],
    )


@app.command(
    "tick", help=_("Run the node's timers once: pull lasting gaps, alert overdue requests.")
)
def tick(as_json: bool = JsonOption) -> None:
    done = _with(lambda s: s.exchange.tick())
    shown = {
        "pulls": [{"partner": p, "subject": s} for p, s in done.pulls],
        "overdue": [presenters.verification(c) for c in done.overdue],
    }
    if as_json:
        print_json(shown)
        return
    if not done.pulls and not done.overdue:
        out.print(_("Nothing to pull, nothing newly overdue."), markup=False)
    for partner, subject in done.pulls:
        out.print(
            _("Pulled %(subject)s from %(partner)s.") % {"subject": subject, "partner": partner},
            markup=False,
        )
    for case in done.overdue:
        alert = _("Overdue: verification request %(id)s on %(number)s, due %(day)s.")
        out.print(
            alert % {"id": case.id, "number": case.number, "day": case.reply_by.isoformat()},
            markup=False,
        )
