"""An issuing authority's keys: create, rotate, revoke, and the trust list.

Public keys and their facts are stored through the port; each private key is
written once, encrypted with the operator's passphrase, to a file only its
owner may read (mode 0600) in the key folder. Every change is audited.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, Conflict, InvalidInput, NotFound
from opencustoms.kernel.ids import new_id
from opencustoms.platform.audit import AuditEvent
from opencustoms.trust.keys import (
    Algorithm,
    PublicKey,
    check_ids,
    export_trust_list,
    generate,
    import_trust_list,
    revoked,
)
from opencustoms.trust.ports import TrustUnitOfWork


class AuthorityKeys:
    def __init__(self, uow: Callable[[], TrustUnitOfWork], clock: Clock, key_dir: Path) -> None:
        self._uow = uow
        self._clock = clock
        self._dir = key_dir

    def create(
        self,
        authority: str,
        country: str,
        agreements: Iterable[str],
        algorithm: Algorithm,
        valid_from: date,
        passphrase: str | None,
    ) -> PublicKey:
        """A new key for the authority, valid from the day given."""
        with self._uow() as uow:
            key = self._new(uow, authority, country, agreements, algorithm, valid_from, passphrase)
            uow.commit()
        return key

    def rotate(self, authority: str, on: date, passphrase: str | None) -> PublicKey:
        """A new key from `on`; the keys in use end the day before (what they signed stays valid)."""
        check_ids(authority=authority)
        with self._uow() as uow:
            in_use = [
                k
                for k in uow.keys.all(authority)
                if k.revoked_at is None
                and (k.valid_to is None or k.valid_to >= on)
                and (self._dir / f"{k.kid}.pem").is_file()  # ours, not a partner's
            ]
            if not in_use:
                raise NotFound.of(
                    "trust.no_key_in_use",
                    N_("%(authority)s has no key in use to rotate; create one first."),
                    authority=authority,
                )
            started = max(k.valid_from for k in in_use)
            if on <= started:
                # the keys in use end the day before: that day must come after they began
                raise InvalidInput.of(
                    "trust.rotate_too_early",
                    N_("A key of %(authority)s in use began on %(day)s: rotate from a later day."),
                    field="from",
                    authority=authority,
                    day=started.isoformat(),
                )
            last = in_use[-1]
            key = self._new(
                uow, authority, last.country, last.agreements, last.algorithm, on, passphrase
            )
            last_day = on - timedelta(days=1)
            for old in in_use:
                uow.keys.save(replace(old, valid_to=last_day))
                self._audit(
                    uow, "authority_key.retire", old.kid, {"valid_to": last_day.isoformat()}
                )
            uow.commit()
        return key

    def revoke(self, kid: str, at: datetime, reason: str) -> PublicKey:
        """Revoke a key as compromised from `at`: what it signed verifies only on an earlier record."""
        if not reason.strip():
            raise InvalidInput.of(
                "trust.reason_required", N_("Say why the key is revoked."), field="reason"
            )
        with self._uow() as uow:
            key = uow.keys.get(kid)
            if key is None:
                raise NotFound.of("trust.unknown_key", N_("No key has the id %(kid)s."), kid=kid)
            if key.revoked_at is not None:
                raise Conflict.of(
                    "trust.already_revoked",
                    N_("Key %(kid)s was revoked already, at %(when)s."),
                    kid=kid,
                    when=key.revoked_at.isoformat(),
                )
            key = revoked(key, at.astimezone(UTC), reason.strip())  # times are kept in UTC
            uow.keys.save(key)
            self._audit(
                uow,
                "authority_key.revoke",
                kid,
                {"at": at.astimezone(UTC).isoformat(), "reason": reason},
            )
            uow.commit()
        return key

    def keys(self, authority: str | None = None) -> Sequence[PublicKey]:
        with self._uow() as uow:
            return list(uow.keys.all(authority))

    def export(self, authority: str | None = None) -> dict[str, Any]:
        """The trust list (JWKS) of these keys: an authority's own, or all this node trusts."""
        return export_trust_list(self.keys(authority))

    def import_trust(self, text: str, source: str) -> list[PublicKey]:
        """Partners' keys from a trust list: new ones added, known ones' validity and
        revocation updated; a known key id with other key material is refused whole.
        A revocation is never undone or moved later by a list (an old copy, or another
        partner's list naming the key, would otherwise clear it)."""
        found = import_trust_list(text, source)
        with self._uow() as uow:
            for key in found:
                known = uow.keys.get(key.kid)
                if known is None:
                    uow.keys.add(key)
                elif dict(known.jwk) != dict(key.jwk):
                    raise Conflict.of(
                        "trust.key_material_changed",
                        N_(
                            "%(source)s: key %(kid)s is known with other key material; a key id names one key for good."
                        ),
                        source=source,
                        kid=key.kid,
                    )
                else:
                    uow.keys.save(_updated(known, key))
            self._audit(uow, "trust_list.import", source, {"keys": len(found)})
            uow.commit()
        return found

    def private_pem(self, kid: str) -> bytes:
        path = self._dir / f"{kid}.pem"
        if not path.is_file():
            raise NotFound.of(
                "trust.no_private_key",
                N_(
                    "This node holds no private key for %(kid)s (a partner's key, or another node's)."
                ),
                kid=kid,
            )
        return path.read_bytes()

    def _new(
        self,
        uow: TrustUnitOfWork,
        authority: str,
        country: str,
        agreements: Iterable[str],
        algorithm: Algorithm,
        valid_from: date,
        passphrase: str | None,
    ) -> PublicKey:
        if not passphrase:
            raise InvalidInput.of(
                "trust.no_passphrase",
                N_("Set OPENCUSTOMS_KEY_PASSPHRASE: private keys are stored encrypted with it."),
                field="passphrase",
            )
        # short: the key id travels in every printed certificate's QR code (see seal.py)
        kid = f"{authority}-{secrets.token_hex(4)}"
        key, pem = generate(kid, algorithm, authority, country, agreements, valid_from, passphrase)
        uow.keys.add(key)
        self._write_private(kid, pem)
        self._audit(
            uow,
            "authority_key.create",
            kid,
            {
                "authority": authority,
                "algorithm": algorithm.value,
                "valid_from": valid_from.isoformat(),
            },
        )
        return key

    def _write_private(self, kid: str, pem: bytes) -> None:
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._dir / f"{kid}.pem"
        # created with owner-only permissions from the start: never readable by others
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)

    def _audit(
        self, uow: TrustUnitOfWork, action: str, object_id: str, details: dict[str, Any]
    ) -> None:
        uow.audit.append(
            AuditEvent(
                id=new_id("aud"),
                at=self._clock.now(),
                action=action,
                object_type="authority_key",
                object_id=object_id,
                organisation_id=None,
                actor_account_id=None,  # the operator at the command line
                actor_organisation_id=None,
                details=details,
            )
        )


def _updated(known: PublicKey, listed: PublicKey) -> PublicKey:
    """A known key as a trust list now states it: its validity end as listed; revoked at
    the earlier of the two times if either says so, with that time's reason."""
    revoked_at, reason = known.revoked_at, known.revocation_reason
    if listed.revoked_at is not None and (revoked_at is None or listed.revoked_at < revoked_at):
        revoked_at, reason = listed.revoked_at, listed.revocation_reason
    return replace(known, valid_to=listed.valid_to, revoked_at=revoked_at, revocation_reason=reason)
