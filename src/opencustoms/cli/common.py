"""What every command shares: services, output as a table or JSON, one-line errors."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from opencustoms import bootstrap
from opencustoms.i18n import _, negotiate, set_locale
from opencustoms.settings import Settings

# piped output is not wrapped to 80 columns: ids and codes must stay whole
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def use_environment_locale() -> None:
    """The language of OPENCUSTOMS_LOCALE (environment or .env), else of LANG."""
    try:
        configured = Settings().locale
    except ValidationError:  # reported when the command runs
        configured = os.environ.get("OPENCUSTOMS_LOCALE")
    set_locale(negotiate(configured, os.environ.get("LANG")))


# help texts are translated when the commands are defined, so choose the language first
use_environment_locale()
JsonOption = typer.Option(False, "--json", help=_("Print machine-readable JSON."))


def services() -> bootstrap.Services:
    return bootstrap.build()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def fail_line(message: str) -> None:
    """One line on standard error: what failed and what to do."""
    label = _("error")
    err.print(f"[bold red]{label}:[/] ", end="")
    err.print(message, markup=False)


def fail(message: str, code: int = 2) -> NoReturn:
    fail_line(message)
    raise typer.Exit(code)


def migrated_services() -> bootstrap.Services:
    """Services over a database at the newest migration, or a clear way to get there."""
    from opencustoms.store import db

    svc = services()
    current, head = db.current_revision(svc.engine), db.head_revision(svc.engine)
    if current != head:
        svc.close()
        fail(
            _(
                "The database is at revision %(current)s, not %(head)s: "
                "run 'opencustoms db upgrade'."
            )
            % {"current": current or _("none"), "head": head}
        )
    return svc


def read_text(path: Path) -> str:
    """A UTF-8 file's text, or one line saying why it cannot be read (exit 2)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        fail(_("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": type(e).__name__})


def read_json_file(path: Path) -> Any:
    """A JSON file's value, or one line saying why it is not JSON (exit 2)."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        fail(_("%(file)s is not JSON: %(reason)s") % {"file": path, "reason": e.msg})
    except (ValueError, RecursionError) as e:  # too deep, or a number too long to read
        fail(_("%(file)s is not JSON: %(reason)s") % {"file": path, "reason": type(e).__name__})


def write_file(path: Path, data: object) -> None:
    """Write bytes as they are, anything else as indented UTF-8 JSON; or say why not (exit 2)."""
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as e:
        fail(_("Cannot write %(path)s: %(reason)s") % {"path": path, "reason": type(e).__name__})
