"""OpenAttestation: our full verification set against its offline integrity check.

The issue asks for the ratio of what a full verification of one of our certificates
costs to what OpenAttestation's offline integrity check costs on a comparable
document, when Node is on the machine. Both sides use the same sample, the 5-item
RCEP certificate in tests/fixtures:

- OpenAttestation (benchmarks/openattestation/bench.mjs): the certificate wrapped as
  the data of an OA v2 document, then `verifySignature` timed: every leaf salted and
  hashed again, the digest compared with the target hash, the merkle proof walked to
  the root. It proves the document is intact, no more: who issued it (document store,
  DNS-TXT) is checked by OA's network verifiers, which are not run.
- opencustoms: the certificate signed as `benchmarks/bench_certificates.py` signs it,
  then `certificates.signed.verify` timed, with every check it makes (structure,
  readable copy, Ed25519 signature, issuer, key standing, validity, the form's rules).

So the ratio flatters neither side by leaving work out of ours; if anything OA does
less. Node's packages are pinned in benchmarks/openattestation/package-lock.json and
installed there with `npm ci` the first time. Without node or npm, or when the
install or the script fails, one row says the measure was skipped, and why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.bench_certificates import PASS, SAMPLE
from benchmarks.rows import row, skipped
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import read_certificate
from opencustoms.certificates.signed import sign_certificate, verify
from opencustoms.trust.keys import Algorithm, generate

FOLDER = Path(__file__).parent / "openattestation"
SCRIPT = FOLDER / "bench.mjs"
INSTALL_TIMEOUT = 300  # seconds: a first `npm ci` fetches ~60 packages
RUN_TIMEOUT = 300  # seconds: 5,000 checks take ~5-8 s; this only stops a hung node


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 500 if quick else 5_000
    name = "openattestation.verify_signature"
    try:
        theirs = _openattestation_seconds(n)
    except _Skip as e:
        return [skipped(name, str(e))]
    ours = _opencustoms_seconds(n)
    # time per verification, ours over theirs: below 1 means ours is cheaper
    ratio = ours / theirs
    return [
        row(
            name,
            n,
            theirs,
            "OA v2 wrapped 5-item RCEP certificate; offline hash + merkle-root check only",
        ),
        row(
            "openattestation.opencustoms_verify",
            n,
            ours,
            f"same sample, signed, every check; opencustoms full verification costs "
            f"{ratio:.2f}x OpenAttestation's integrity check",
        ),
    ]


class _Skip(Exception):
    """The OpenAttestation side could not be measured; the message says why."""


def _openattestation_seconds(n: int) -> float:
    """Seconds Node took for `n` `verifySignature` calls (timed inside the script, so
    neither Node's start-up nor the wrapping is counted)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise _Skip("node and npm are needed (not on PATH)")
    if not (FOLDER / "node_modules").is_dir():
        # exactly the versions in package-lock.json; no audit or funding chatter
        _call([npm, "ci", "--silent", "--no-audit", "--no-fund"], INSTALL_TIMEOUT, "npm ci")
    out = _call([node, str(SCRIPT), str(SAMPLE), str(n)], RUN_TIMEOUT, "bench.mjs")
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as e:
        raise _Skip(f"bench.mjs printed no result line: {out[:80]!r}") from e
    # `ok` is false when the genuine document failed the check, or a tampered one passed
    if not result.get("ok") or result.get("operations") != n:
        raise _Skip(f"bench.mjs did not verify as expected: {result}")
    return float(result["seconds"])


def _call(command: list[str], timeout: int, what: str) -> str:
    """Run `command` in the OpenAttestation folder; its standard output, or `_Skip`."""
    try:
        # our own fixed command, given as a list: no shell
        done = subprocess.run(
            command, cwd=FOLDER, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise _Skip(f"{what} took over {timeout} s") from e
    except OSError as e:
        raise _Skip(f"{what} could not start: {e}") from e
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise _Skip(f"{what} exited {done.returncode}: {last}")
    return done.stdout


def _opencustoms_seconds(n: int) -> float:
    """Seconds for `n` full verifications of the sample, signed as the certificates
    benchmark signs it (same key, form, date), in this process."""
    key, pem = generate(
        "KR-KCS-1", Algorithm.ED25519, "KR-KCS", "KR", ["rcep"], date(2026, 1, 1), PASS
    )
    forms = shipped_forms()
    cert = read_certificate(json.loads(SAMPLE.read_text(encoding="utf-8")))
    document = json.dumps(sign_certificate(cert, forms[cert.form], key, pem, PASS))
    trust = {key.kid: key}
    at = date(2026, 7, 1)
    # warm-up, as the Node side has: first-call costs (form rules, caches) not counted
    for _ in range(min(n, 500)):
        assert verify(document, at, trust, forms).valid
    started = time.perf_counter()
    for _ in range(n):
        assert verify(document, at, trust, forms).valid
    return time.perf_counter() - started
