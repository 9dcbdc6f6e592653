"""`opencustoms db`: create and migrate the database."""

from __future__ import annotations

import typer

from opencustoms.bootstrap import Services
from opencustoms.cli.common import JsonOption, out, print_json, services
from opencustoms.i18n import _
from opencustoms.store import db

app = typer.Typer(help=_("The database: migrations."), no_args_is_help=True)


def _state(svc: Services) -> dict[str, str | None]:
    return {
        "engine": svc.engine.dialect.name,
        "current": db.current_revision(svc.engine),
        "newest": db.head_revision(svc.engine),
    }


@app.command("upgrade", help=_("Create the database if needed and apply every migration."))
def upgrade(as_json: bool = JsonOption) -> None:
    svc = services()
    try:
        db.upgrade(svc.engine)
        state = _state(svc)
    finally:
        svc.close()
    if as_json:
        print_json(state)
    else:
        out.print(
            _("Database at revision %(rev)s (%(engine)s).")
            % {"rev": state["current"], "engine": state["engine"]}
        )


@app.command(
    "current", help=_("Print the database's migration revision and the newest one available.")
)
def current(as_json: bool = JsonOption) -> None:
    svc = services()
    try:
        state = _state(svc)
    finally:
        svc.close()
    if as_json:
        print_json(state)
    else:
        out.print(
            _("current: %(current)s, newest: %(head)s")
            % {"current": state["current"] or "-", "head": state["newest"]}
        )
