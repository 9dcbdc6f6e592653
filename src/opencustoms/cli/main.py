"""The `opencustoms` command.

Errors are one line on standard error and exit code 2, in the user's language;
no stack trace reaches the user (an unexpected error says where it is logged).
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from opencustoms import __version__
from opencustoms.cli import (
    accounts,
    authority,
    cert,
    db,
    declare,
    demo,
    exchange,
    hs,
    money,
    node,
    origin,
    partners,
    tariff,
)
from opencustoms.cli.common import fail_line, use_environment_locale
from opencustoms.i18n import _
from opencustoms.kernel.errors import DomainError
from opencustoms.observability import configure_logging

app = typer.Typer(
    name="opencustoms",
    help=_("opencustoms: an open digital customs platform."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(hs.app, name="hs")
app.add_typer(db.app, name="db")
app.add_typer(accounts.orgs, name="orgs")
app.add_typer(accounts.accounts, name="accounts")
app.add_typer(accounts.audit, name="audit")
app.add_typer(money.app, name="money")
app.add_typer(origin.app, name="origin")
app.add_typer(authority.app, name="authority")
app.add_typer(cert.app, name="cert")
app.add_typer(partners.app, name="partners")
app.add_typer(node.app, name="node")
app.add_typer(exchange.app, name="exchange")
app.add_typer(tariff.app, name="tariff")
app.add_typer(declare.app, name="declare")
app.command("demo", help=_("Migrate the database, load the demo data, take the tour, then serve."))(
    demo.demo
)
app.command("serve", help=_("Serve the web UI and API."))(demo.serve)


def _version(value: bool) -> None:
    if value:
        print(f"opencustoms {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help=_("Print the version and exit.")
    ),
) -> None:
    # the command's help is the Typer app's (translated); the callback only takes --version
    return None


def run(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (0 ok, 2 bad input, 1 our fault)."""
    configure_logging("WARNING", json=True)
    use_environment_locale()
    try:
        # standalone mode: usage errors print usage and exit 2, as Typer does
        app(args=argv, prog_name="opencustoms")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except DomainError as e:
        # every problem found, one line each (a file may have many)
        for finding in e.findings[:50]:
            fail_line(finding.render(_))
        if len(e.findings) > 50:
            fail_line(_("... and %(count)s more problems") % {"count": len(e.findings) - 50})
        return 2
    except KeyboardInterrupt:
        return 130
    except ValidationError as e:  # a setting from the environment or .env
        first = e.errors()[0]
        fail_line(
            _("The setting OPENCUSTOMS_%(name)s is invalid: %(problem)s")
            % {
                "name": str(first["loc"][0]).upper() if first["loc"] else "?",
                "problem": first["msg"],
            }
        )
        return 2
    except SQLAlchemyError as e:
        fail_line(
            _(
                "The database cannot be used (%(kind)s); check OPENCUSTOMS_DATABASE_URL "
                "and that the server runs. Details: %(path)s"
            )
            % {"kind": type(e).__name__, "path": _log_trace(e)}
        )
        return 1
    except Exception as e:  # the user gets one line; the trace goes to a file
        fail_line(
            _("Internal error (%(kind)s); the details are in %(path)s.")
            % {"kind": type(e).__name__, "path": _log_trace(e)}
        )
        return 1
    return 0


def _log_trace(error: BaseException) -> str:
    """Write the trace to the error log (under the data folder) and return its path."""
    folder = Path(os.environ.get("OPENCUSTOMS_DATA_DIR", "var")) / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir())
    path = folder / "cli-errors.log"
    with path.open("a", encoding="utf-8") as f:
        f.write(f"--- {datetime.now(UTC).isoformat()} opencustoms {' '.join(sys.argv[1:])}\n")
        f.write("".join(traceback.format_exception(error)))
    return str(path)


def entry() -> None:
    sys.exit(run())
