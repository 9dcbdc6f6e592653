"""`opencustoms db`: create and migrate the database."""

from __future__ import annotations

import typer

from opencustoms.cli.common import out, services
from opencustoms.i18n import _
from opencustoms.store import db

app = typer.Typer(help=_("The database: migrations."), no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create the database if needed and apply every migration."""
    svc = services()
    try:
        db.upgrade(svc.engine)
        out.print(
            _("Database at revision %(rev)s (%(engine)s).")
            % {"rev": db.current_revision(svc.engine), "engine": svc.engine.dialect.name}
        )
    finally:
        svc.close()


@app.command("current")
def current() -> None:
    """Print the database's migration revision and the newest one available."""
    svc = services()
    try:
        out.print(
            _("current: %(current)s, newest: %(head)s")
            % {
                "current": db.current_revision(svc.engine) or "-",
                "head": db.head_revision(svc.engine),
            }
        )
    finally:
        svc.close()
