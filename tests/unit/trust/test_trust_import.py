"""Importing trust lists: a revocation, once known, is never undone or moved later."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime

from opencustoms.kernel.dates import FixedClock
from opencustoms.testing.fakes import in_memory_uow
from opencustoms.trust.keys import Algorithm, export_trust_list, generate, revoked
from opencustoms.trust.service import AuthorityKeys

NOW = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def test_a_revocation_is_never_undone_or_moved_later_by_a_list(tmp_path):
    uow, _ = in_memory_uow()
    keys = AuthorityKeys(uow, FixedClock(NOW), tmp_path)
    key, _ = generate(
        "VN-NODE-1", Algorithm.ED25519, "VN-NODE", "VN", ["exchange"], date(2026, 1, 1), "x" * 12
    )

    def imported(listed):
        keys.import_trust(json.dumps(export_trust_list([listed])), "vietnam.json")
        [now] = keys.keys("VN-NODE")
        return now

    assert imported(revoked(key, MAY, "compromised")).revoked_at == MAY
    # an old copy of the list, from before the revocation, does not clear it
    assert imported(key).revoked_at == MAY
    # a later time does not move it; an earlier one (the compromise found older) does
    assert imported(revoked(key, NOW, "again")).revoked_at == MAY
    earlier = imported(revoked(key, APRIL, "compromised earlier"))
    assert (earlier.revoked_at, earlier.revocation_reason) == (APRIL, "compromised earlier")
    # the validity end is taken as listed
    assert imported(replace(key, valid_to=date(2026, 12, 31))).valid_to == date(2026, 12, 31)
