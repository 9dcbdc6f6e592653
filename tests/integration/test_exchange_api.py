"""The receiving end over HTTP: open to partners (each message is signed), one answer per
message, bad deliveries refused with a problem, a node without an id refusing all."""


def test_a_delivery_gets_one_answer_per_message_in_the_requests_language(client, services):
    services.receiver._node = "JP-NODE"
    r = client.post("/exchange/v1/messages", json={"messages": ["garbage", 42]})
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert (first["outcome"], first["final"], first["id"]) == ("refused", False, None)
    assert "three dot-separated parts" in first["reasons"][0]["message"]
    assert "compact JWS" in second["reasons"][0]["message"]
    r = client.post(
        "/exchange/v1/messages", json={"messages": ["garbage"]}, headers={"Accept-Language": "ko"}
    )
    assert "세 부분" in r.json()["results"][0]["reasons"][0]["message"]


def test_a_bad_delivery_is_a_problem_naming_what_to_send(client, services):
    services.receiver._node = "JP-NODE"
    for body in ({}, {"messages": []}, {"messages": "x"}, [1]):
        r = client.post("/exchange/v1/messages", json=body)
        assert r.status_code == 400, body
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "exchange.bad_delivery"
    r = client.post("/exchange/v1/messages", json={"messages": ["x"] * 101})
    assert (r.status_code, r.json()["code"]) == (400, "exchange.batch_too_large")


def test_a_node_without_an_id_refuses_every_delivery(client, services):
    assert services.settings.node_id is None  # the default: a node exchanges with no one
    r = client.post("/exchange/v1/messages", json={"messages": ["x"]})
    assert (r.status_code, r.json()["code"]) == (400, "exchange.not_a_node")


def test_odd_bodies_are_problems_never_crashes(client, services):
    services.receiver._node = "JP-NODE"
    deep = b'{"messages": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = client.post(
        "/exchange/v1/messages", content=deep, headers={"Content-Type": "application/json"}
    )
    assert (r.status_code, r.json()["code"]) == (400, "exchange.bad_delivery")
    r = client.post("/exchange/v1/messages", content=b"not json")
    assert (r.status_code, r.json()["code"]) == (400, "exchange.bad_delivery")

    def chunks():  # sent without a length: counted as it arrives
        for _ in range(17):
            yield b" " * 1_000_000

    r = client.post("/exchange/v1/messages", content=chunks())
    assert (r.status_code, r.json()["code"]) == (413, "request.too_large")
