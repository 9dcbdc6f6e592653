"""`opencustoms authority`: keys created, rotated, revoked, exported; the trust list."""

import json
import stat

from opencustoms.trust.keys import Algorithm, export_trust_list, generate

PASS = "a long operator passphrase"


def _json(result):
    code, out, err = result
    assert code == 0, err
    return json.loads(out)


def test_keys_are_created_rotated_revoked_and_exported(cli, tmp_path, monkeypatch):
    first = _json(
        cli(
            "authority",
            "keys",
            "create",
            "--authority",
            "KR-KCS",
            "--country",
            "KR",
            "--agreement",
            "rcep",
            "--agreement",
            "akfta",
            "--from",
            "2026-01-01",
            "--json",
        )
    )
    assert first["agreements"] == ["rcep", "akfta"]
    pem = tmp_path / "keys" / f"{first['kid']}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600  # the owner's alone
    assert b"ENCRYPTED PRIVATE KEY" in pem.read_bytes()

    second = _json(
        cli(
            "authority", "keys", "rotate", "--authority", "KR-KCS", "--from", "2026-07-01", "--json"
        )
    )
    code, _, err = cli(
        "authority", "keys", "rotate", "--authority", "KR-KCS", "--from", "2026-07-01"
    )
    assert code == 2  # the key in use began that day: nothing to end the day before
    assert "rotate from a later day" in err
    listed = {k["kid"]: k for k in _json(cli("authority", "keys", "list", "--json"))}
    assert listed[first["kid"]]["valid_to"] == "2026-06-30"  # retired, not invalidated
    assert listed[second["kid"]]["valid_from"] == "2026-07-01"

    revoked = _json(
        cli(
            "authority",
            "keys",
            "revoke",
            first["kid"],
            "--reason",
            "laptop stolen",
            "--at",
            "2026-09-01T09:00:00+09:00",
            "--json",
        )
    )
    assert revoked["revoked_at"] == "2026-09-01T00:00:00+00:00"
    code, _, err = cli("authority", "keys", "revoke", first["kid"], "--reason", "again")
    assert code != 0
    assert "revoked already" in err

    out_file = tmp_path / "kr-kcs.jwks.json"
    assert (
        cli("authority", "keys", "export", "--authority", "KR-KCS", "--out", str(out_file))[0] == 0
    )
    jwks = json.loads(out_file.read_text())
    assert [k["kid"] for k in jwks["keys"]] == sorted([first["kid"], second["kid"]])
    assert all("d" not in k for k in jwks["keys"])  # public members only


def test_a_partners_trust_list_is_imported_whole(cli, tmp_path):
    partner, _pem = generate(
        "CN-GACC-1",
        Algorithm.ES256,
        "CN-GACC",
        "CN",
        ["rcep"],
        __import__("datetime").date(2026, 1, 1),
        PASS,
    )
    good = tmp_path / "cn.json"
    good.write_text(json.dumps(export_trust_list([partner])))
    code, out, _ = cli("authority", "trust", "import", str(good))
    assert code == 0
    assert "Trusted 1 keys" in out
    trusted = tmp_path / "trust.json"
    assert cli("authority", "trust", "export", "--out", str(trusted))[0] == 0
    assert [k["kid"] for k in json.loads(trusted.read_text())["keys"]] == ["CN-GACC-1"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"keys": [{"kid": "x"}]}))
    code, _, err = cli("authority", "trust", "import", str(broken))
    assert code == 2
    assert "broken.json, keys[0]: missing alg" in err
    code, _, err = cli("authority", "keys", "rotate", "--authority", "CN-GACC")
    assert code != 0
    assert "no key in use" in err  # a partner's key is not ours to rotate


def test_without_a_passphrase_no_key_is_made(cli, monkeypatch, tmp_path):
    monkeypatch.delenv("OPENCUSTOMS_KEY_PASSPHRASE")
    code, _, err = cli(
        "authority",
        "keys",
        "create",
        "--authority",
        "KR-KCS",
        "--country",
        "KR",
        "--agreement",
        "rcep",
    )
    assert code == 2
    assert "OPENCUSTOMS_KEY_PASSPHRASE" in err
    assert not (tmp_path / "keys").exists() or not any((tmp_path / "keys").iterdir())
