"""`opencustoms authority`: an issuing authority's signing keys and the trust list."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

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
from opencustoms.trust.keys import Algorithm, PublicKey

app = typer.Typer(
    help=_("An issuing authority's signing keys and trust list."), no_args_is_help=True
)
keys = typer.Typer(help=_("Create, rotate, revoke and export signing keys."), no_args_is_help=True)
trust = typer.Typer(
    help=_("The keys this node trusts (JWKS): export and import."), no_args_is_help=True
)
app.add_typer(keys, name="keys")
app.add_typer(trust, name="trust")


def _row(k: PublicKey) -> dict[str, object]:
    return {
        "kid": k.kid,
        "authority": k.authority,
        "country": k.country,
        "algorithm": k.algorithm.value,
        "agreements": list(k.agreements),
        "valid_from": k.valid_from.isoformat(),
        "valid_to": k.valid_to.isoformat() if k.valid_to else None,
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
    }


def _passphrase() -> str | None:
    from opencustoms.settings import Settings

    secret = Settings().key_passphrase
    return secret.get_secret_value() if secret else None


@keys.command("create", help=_("Create a signing key for an issuing authority."))
def create(
    authority: str = typer.Option(..., "--authority", help=_("The authority's id, e.g. KR-KCS.")),
    country: str = typer.Option(..., "--country", help=_("Its country, e.g. KR.")),
    agreement: list[str] = typer.Option(
        ..., "--agreement", help=_("An agreement it issues for, e.g. rcep (repeatable).")
    ),
    algorithm: Algorithm = typer.Option(Algorithm.ED25519, "--alg", help=_("Ed25519 or ES256.")),
    valid_from: str | None = typer.Option(
        None, "--from", help=_("The first day it signs (default today).")
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        day = (
            parse_legal_date(valid_from, "from")
            if valid_from
            else legal_date(svc.clock.now(), svc.office_zone)
        )
        key = svc.keys.create(authority, country, agreement, algorithm, day, _passphrase())
    finally:
        svc.close()
    if as_json:
        print_json(_row(key))
        return
    out.print(
        _("Created key %(kid)s (%(alg)s), valid from %(day)s.")
        % {"kid": key.kid, "alg": key.algorithm.value, "day": key.valid_from.isoformat()},
        markup=False,
    )


@keys.command("rotate", help=_("A new key from a day on; the keys in use end the day before."))
def rotate(
    authority: str = typer.Option(..., "--authority", help=_("The authority's id, e.g. KR-KCS.")),
    on: str | None = typer.Option(
        None, "--from", help=_("The new key's first day (default today).")
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        day = parse_legal_date(on, "from") if on else legal_date(svc.clock.now(), svc.office_zone)
        key = svc.keys.rotate(authority, day, _passphrase())
    finally:
        svc.close()
    if as_json:
        print_json(_row(key))
        return
    out.print(
        _("Rotated: %(kid)s signs from %(day)s.")
        % {"kid": key.kid, "day": key.valid_from.isoformat()},
        markup=False,
    )


@keys.command("revoke", help=_("Revoke a key as compromised from a moment on."))
def revoke(
    kid: str = typer.Argument(..., help=_("The key's id.")),
    reason: str = typer.Option(..., "--reason", help=_("Why, in words.")),
    at: str | None = typer.Option(
        None, "--at", help=_("When it was compromised, ISO 8601 with a zone (default now).")
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        when = svc.clock.now()
        if at:
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                fail(
                    _("'%(value)s' is not a moment: write e.g. 2026-09-01T09:00:00+09:00")
                    % {"value": at}
                )
            if when.tzinfo is None:
                fail(_("Give the moment with its time zone, e.g. 2026-09-01T09:00:00+09:00."))
        key = svc.keys.revoke(kid, when, reason)
    finally:
        svc.close()
    if as_json:
        print_json(_row(key))
        return
    out.print(
        _("Revoked %(kid)s from %(when)s.") % {"kid": kid, "when": when.isoformat()}, markup=False
    )


@keys.command("list", help=_("The keys this node holds, oldest first."))
def list_keys(
    authority: str | None = typer.Option(None, "--authority", help=_("Only this authority's.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        found = svc.keys.keys(authority)
    finally:
        svc.close()
    if as_json:
        print_json([_row(k) for k in found])
        return
    for k in found:
        until = k.valid_to.isoformat() if k.valid_to else "…"
        state = _("revoked") if k.revoked_at else ""
        out.print(
            f"{k.kid}  {k.algorithm.value}  {k.valid_from.isoformat()} – {until}  {state}",
            markup=False,
        )


@keys.command("export", help=_("An authority's public keys as a JWKS, for its partners."))
def export_keys(
    authority: str = typer.Option(..., "--authority", help=_("The authority's id, e.g. KR-KCS.")),
    target: Path = typer.Option(..., "--out", help=_("The file to write.")),
) -> None:
    _export(authority, target)


@trust.command("export", help=_("Every key this node trusts, as a JWKS trust list."))
def export_trust(target: Path = typer.Option(..., "--out", help=_("The file to write."))) -> None:
    _export(None, target)


def _export(authority: str | None, target: Path) -> None:
    svc = migrated_services()
    try:
        data = svc.keys.export(authority)
    finally:
        svc.close()
    write_file(target, data)
    out.print(
        _("Wrote %(count)s keys to %(path)s.") % {"count": len(data["keys"]), "path": target},
        markup=False,
    )


@trust.command("import", help=_("Add a partner's keys from its JWKS (checked whole first)."))
def import_trust(file: Path = typer.Argument(..., help=_("The JWKS file."))) -> None:
    text = read_text(file)
    svc = migrated_services()
    try:
        found = svc.keys.import_trust(text, file.name)
    finally:
        svc.close()
    out.print(
        _("Trusted %(count)s keys from %(path)s.") % {"count": len(found), "path": file},
        markup=False,
    )
