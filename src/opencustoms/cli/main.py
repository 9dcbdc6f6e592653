"""The `opencustoms` command.

Errors are one line on standard error and exit code 2, in the user's language;
no stack trace reaches the user (an unexpected error says where it is logged).
"""

from __future__ import annotations

import sys

import typer

from opencustoms import __version__
from opencustoms.cli import accounts, db, demo, hs, money, origin
from opencustoms.cli.common import err, fail_line, use_environment_locale
from opencustoms.i18n import _
from opencustoms.kernel.errors import DomainError
from opencustoms.observability import configure_logging, logger

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
app.command("demo")(demo.demo)
app.command("serve")(demo.serve)


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
    """opencustoms: an open digital customs platform."""


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
        fail_line(e.finding.render(_))
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # the user gets one line; the log gets the trace
        logger("opencustoms.cli").error("unhandled_error", exc_info=e)
        err.print(
            _("Internal error (%(kind)s); details were logged to standard error above.")
            % {"kind": type(e).__name__}
        )
        return 1
    return 0


def entry() -> None:
    sys.exit(run())
