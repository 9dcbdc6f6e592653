"""`opencustoms exchange`: operators' view and officers' notices from the command line."""

import json


def test_an_operator_sees_where_the_exchange_stands(cli, monkeypatch):
    monkeypatch.setenv("OPENCUSTOMS_NODE_ID", "KR-NODE")
    assert cli("db", "upgrade")[0] == 0
    code, out, _ = cli("exchange", "status", "--json")
    assert code == 0
    assert json.loads(out) == {
        "node": "KR-NODE",
        "outgoing": {},
        "oldest_pending": None,
        "incoming": {},
        "open_verifications": 0,
        "overdue_verifications": 0,
    }
    code, out, _ = cli("exchange", "status")
    assert "Verifications open: 0, overdue: 0" in out
    for command in ("outbox", "dead-letters", "inbox", "received", "verifications"):
        code, out, err = cli("exchange", command, "--json")
        assert (code, json.loads(out)) == (0, []), (command, err)
    code, out, _ = cli("exchange", "tick")
    assert (code, out.strip()) == (0, "Nothing to pull, nothing newly overdue.")


def test_mistakes_are_one_line_saying_what_to_do(cli, monkeypatch):
    monkeypatch.setenv("OPENCUSTOMS_NODE_ID", "KR-NODE")
    assert cli("db", "upgrade")[0] == 0
    code, _, err = cli("exchange", "retry", "msg_none")
    assert (code, "No message msg_none in the outbox" in err) == (2, True)
    code, _, err = cli(
        "exchange", "utilization", "VN-MOIT", "VN-1", "--outcome", "applied", "--declaration", "D-1"
    )
    assert code == 2
    assert "was not received from a partner node" in err
    code, _, err = cli("exchange", "answer", "msg_none", "--outcome", "confirmed")
    assert (code, "No verification request msg_none" in err) == (2, True)
    code, _, err = cli("exchange", "answer", "msg_none", "--outcome", "perhaps")
    assert (code, "one of confirmed, not_confirmed, partially" in err) == (2, True)
    code, _, err = cli("exchange", "request", "VN-MOIT", "VN-1", "--question", "Origin?")
    assert code == 2
    assert "Traceback" not in err
    code, _, err = cli("exchange", "outbox", "--state", "lost")
    assert code == 2
