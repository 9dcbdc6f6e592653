// Times OpenAttestation's offline integrity check on a certificate comparable to ours.
//
// Usage: node bench.mjs CERTIFICATE.json [N]
// Prints one JSON line: {"operations": N, "seconds": S, "ok": true}
//
// The certificate (our JSON form, e.g. tests/fixtures/certificates/rcep-kr-jp.json) is
// wrapped, unchanged, as the raw data of an OpenAttestation v2 document, with only the
// fields the v2 schema requires added. What is timed is `verifySignature`: it salts and
// hashes every leaf again, compares the digest with the target hash, and walks the
// merkle proof to the root. It is offline; the network verifiers (document store on
// chain, DNS-TXT identity) are not run, so the identity proof below is a placeholder.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// the package is CommonJS (with no "exports" map), so load it the CommonJS way
const require = createRequire(import.meta.url);
const { wrapDocument, verifySignature } = require("@govtechsg/open-attestation");

const [path, count] = process.argv.slice(2);
if (!path) {
  console.error("usage: node bench.mjs CERTIFICATE.json [N]");
  process.exit(2);
}
const n = Number.parseInt(count ?? "5000", 10);
if (!(n > 0)) {
  console.error(`N must be a positive integer, not ${count}`);
  process.exit(2);
}

const certificate = JSON.parse(readFileSync(path, "utf-8"));
const wrapped = wrapDocument({
  ...certificate,
  $template: {
    name: "RCEP_CO",
    type: "EMBEDDED_RENDERER",
    url: "https://renderer.example.org",
  },
  issuers: [
    {
      name: certificate.issuing_authority ?? "issuing authority",
      documentStore: "0x0000000000000000000000000000000000000001",
      identityProof: { type: "DNS-TXT", location: "example.org" },
    },
  ],
});

// a check that cannot fail times nothing: the genuine document must pass and an
// altered one must not (same structure, so the same work up to the comparison)
const tampered = structuredClone(wrapped);
tampered.data.number = `${tampered.data.number}X`;
let ok = verifySignature(wrapped) && !verifySignature(tampered);

// warm-up, so the JIT has compiled the hashing paths before the clock starts
for (let i = 0; i < Math.min(n, 500); i++) ok = verifySignature(wrapped) && ok;

const started = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  // `&& ok` keeps the call's result live, so it cannot be optimised away
  ok = verifySignature(wrapped) && ok;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

console.log(JSON.stringify({ operations: n, seconds, ok }));
process.exit(ok ? 0 : 1);
