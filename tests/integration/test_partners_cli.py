"""`opencustoms partners`: register, change, list, show and deactivate partner nodes; their
node keys come from their trust list."""

import json


def _json(result):
    code, out, err = result
    assert code == 0, err
    return json.loads(out)


VIETNAM = {
    "node": "VN-NODE",
    "country": "VN",
    "name": "General Department of Vietnam Customs",
    "url": "http://127.0.0.1:8102",
    "links": [{"agreement": "rcep", "reply_days": 90}, {"agreement": "vkfta"}],
}


def test_partners_are_registered_changed_and_shown_with_their_node_keys(cli, tmp_path):
    partner = tmp_path / "vietnam.json"
    partner.write_text(json.dumps(VIETNAM), encoding="utf-8")
    added = _json(cli("partners", "add", partner, "--json"))
    assert (added["node"], added["active"], added["version"]) == ("VN-NODE", True, 1)
    assert added["links"][0] == {
        "agreement": "rcep",
        "messages": added["links"][1]["messages"],
        "reply_days": 90,
    }
    code, _, err = cli("partners", "add", partner)
    assert code == 2
    assert "VN-NODE is a partner already" in err

    code, out, _ = cli("partners", "show", "VN-NODE")
    assert code == 0
    assert "rcep:" in out
    assert "90 days to answer a verification request" in out
    assert "No node keys yet" in out

    # the partner's trust list brings its node key (listed for the exchange) with it
    cli("authority", "keys", "create", "--authority", "VN-NODE", "--country", "VN",
        "--agreement", "exchange", "--from", "2026-01-01")  # fmt: skip
    shown = _json(cli("partners", "show", "VN-NODE", "--json"))
    assert len(shown["node_keys"]) == 1
    assert shown["node_keys"][0].startswith("VN-NODE-")

    partner.write_text(json.dumps(VIETNAM | {"url": "http://127.0.0.1:8103"}), encoding="utf-8")
    changed = _json(cli("partners", "update", "VN-NODE", partner, "--if-version", "1", "--json"))
    assert (changed["url"], changed["version"]) == ("http://127.0.0.1:8103", 2)
    code, out, _ = cli("partners", "show", "VN-NODE")
    assert "active, version 2" in out
    # a change prepared on version 1 would undo the one just made: refused, nothing changed
    code, _, err = cli("partners", "update", "VN-NODE", partner, "--if-version", "1")
    assert code == 2
    assert "VN-NODE is at version 2, not 1" in err
    assert _json(cli("partners", "deactivate", "VN-NODE", "--json"))["active"] is False
    listed = _json(cli("partners", "list", "--json"))
    assert [(p["node"], p["active"], p["node_keys"]) for p in listed] == [("VN-NODE", False, 1)]
    audit = _json(cli("audit", "list", "--json"))
    actions = [a["action"] for a in audit if a["object_type"] == "partner"]
    assert sorted(actions) == ["partner.add", "partner.deactivate", "partner.update"]


def test_a_bad_partner_file_is_refused_with_every_problem(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = cli("partners", "add", bad)
    assert code == 2
    assert "is not JSON" in err
    bad.write_text(json.dumps(VIETNAM | {"url": "ftp://x", "links": [{"agreement": "nafta"}]}))
    code, _, err = cli("partners", "add", bad)
    assert code == 2
    assert "url: an https base URL" in err
    assert "links[0].agreement: an agreement this node knows" in err
    code, _, err = cli("partners", "show", "CN-NODE")
    assert code == 2
    assert "No partner node CN-NODE here." in err
    assert _json(cli("partners", "list", "--json")) == []
