"""Partner nodes: the customs administrations this node exchanges origin data with.

A partner is another country's node: its id, country, base URL, and the
agreements in force between the two countries, each with the message types
exchanged under it and the days a partner has to answer a verification request
(RCEP Article 3.24(4)(a): between 30 and 90 days). Its keys are authority keys
imported from its trust list: the keys of its issuing authorities (which sign
certificates), and its node keys, listed under the agreement `NODE_AGREEMENT`,
which sign its messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from opencustoms.exchange.messages import TYPES
from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, Conflict, DomainError, Finding, InvalidInput
from opencustoms.trust.keys import PublicKey

# a node's message-signing keys are listed in its trust list under this agreement id,
# so that they can never vouch for a certificate (no form is of that agreement)
NODE_AGREEMENT = "exchange"
MESSAGE_TYPES = tuple(sorted({t.name for t in TYPES}))
MAX_LINKS = 20
_NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")


@dataclass(frozen=True, slots=True)
class Link:
    """An agreement in force between this node's country and the partner's."""

    agreement: str
    messages: tuple[str, ...] = MESSAGE_TYPES  # the message types exchanged under it
    reply_days: int | None = None  # to answer a verification request; None: not agreed


@dataclass(frozen=True, slots=True)
class Partner:
    node: str  # the partner node's id, as its envelopes name it: "VN-NODE"
    country: str  # ISO alpha-2
    name: str
    url: str  # its base URL; messages go to {url}/exchange/v1/messages
    links: tuple[Link, ...]
    created_at: datetime
    updated_at: datetime
    active: bool = True
    version: int = 1

    def link(self, agreement: str) -> Link | None:
        return next((k for k in self.links if k.agreement == agreement), None)


def read_partner(
    data: Any, known_agreements: Iterable[str], now: datetime, source: str = "partner"
) -> Partner:
    """A partner from its JSON form, or InvalidInput with every problem:

    {"node": "VN-NODE", "country": "VN", "name": "...", "url": "https://...",
     "links": [{"agreement": "rcep", "messages": [...], "reply_days": 90}]}
    """
    if not isinstance(data, dict):
        raise InvalidInput(_bad(source, N_("%(path)s: expected an object")))
    found: list[Finding] = []
    node = data.get("node")
    if not isinstance(node, str) or not _NODE.fullmatch(node):
        found.append(
            _bad("node", N_("%(path)s: letters, digits and '-', at most 40, e.g. VN-NODE"))
        )
    country = None
    try:
        country = Country(str(data.get("country", ""))).alpha2
    except DomainError:
        found.append(_bad("country", N_("%(path)s: an ISO 3166 country code, e.g. VN")))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        found.append(_bad("name", N_("%(path)s: a name of at most 200 characters")))
    url = data.get("url")
    if not isinstance(url, str) or not _is_base_url(url):
        found.append(
            _bad(
                "url",
                N_(
                    "%(path)s: an https base URL, e.g. https://node.customs.gov.vn (http only on this machine: 127.0.0.1, localhost)"
                ),
            )
        )
    links = _links(data.get("links"), set(known_agreements), found)
    extra = sorted(set(data) - {"node", "country", "name", "url", "links"})[:5]
    found += [_bad(str(k)[:40], N_("%(path)s: not a field of a partner")) for k in extra]
    if found:
        raise InvalidInput(*found)
    assert isinstance(node, str)
    assert isinstance(name, str)
    assert isinstance(url, str)
    assert country is not None
    return Partner(node, country, name.strip(), url.rstrip("/"), links, now, now)


def partner_json(partner: Partner) -> dict[str, Any]:
    return {
        "node": partner.node,
        "country": partner.country,
        "name": partner.name,
        "url": partner.url,
        "links": [
            {"agreement": k.agreement, "messages": list(k.messages), "reply_days": k.reply_days}
            for k in partner.links
        ],
    }


def node_keys(partner: Partner, keys: Iterable[PublicKey]) -> dict[str, PublicKey]:
    """The partner node's message-signing keys, by kid, from the keys this node holds: its
    own, listed for the exchange and nothing else (a key that also signs certificates is
    not a node key). Whether the partner is active is the caller's to ask."""
    return {
        k.kid: k
        for k in keys
        if k.authority == partner.node
        and k.agreements == (NODE_AGREEMENT,)
        and k.country == partner.country
    }


def partner_exists(node: str) -> Conflict:
    return Conflict.of(
        "exchange.partner_exists",
        N_("%(node)s is a partner already: change it instead."),
        node=node,
    )


def partner_changed(node: str) -> Conflict:
    return Conflict.of(
        "exchange.partner_changed",
        N_("Partner %(node)s was changed by someone else meanwhile; look at it again and retry."),
        node=node,
    )


def _links(value: Any, known: set[str], found: list[Finding]) -> tuple[Link, ...]:
    if isinstance(value, list) and len(value) > MAX_LINKS:
        found.append(_bad("links", N_("%(path)s: at most %(max)s agreements"), max=MAX_LINKS))
        return ()
    if not isinstance(value, list) or not value:
        found.append(
            _bad(
                "links",
                N_('%(path)s: at least one agreement in force, e.g. [{"agreement": "rcep"}]'),
            )
        )
        return ()
    links: list[Link] = []
    for i, entry in enumerate(value):
        path = f"links[{i}]"
        if not isinstance(entry, dict):
            found.append(_bad(path, N_("%(path)s: expected an object")))
            continue
        agreement = entry.get("agreement")
        if not isinstance(agreement, str) or agreement not in known:
            found.append(
                _bad(
                    f"{path}.agreement",
                    N_("%(path)s: an agreement this node knows (%(known)s)"),
                    known=", ".join(sorted(known)),
                )
            )
            continue
        if any(k.agreement == agreement for k in links):
            found.append(_bad(f"{path}.agreement", N_("%(path)s: named twice")))
            continue
        messages = entry.get("messages", list(MESSAGE_TYPES))
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, str) and m in MESSAGE_TYPES for m in messages)
        ):
            found.append(
                _bad(
                    f"{path}.messages",
                    N_("%(path)s: a list of message types (%(known)s)"),
                    known=", ".join(MESSAGE_TYPES),
                )
            )
            continue
        days = entry.get("reply_days")
        if days is not None and (type(days) is not int or not 1 <= days <= 365):
            found.append(_bad(f"{path}.reply_days", N_("%(path)s: a number of days, 1 to 365")))
            continue
        extra = sorted(set(entry) - {"agreement", "messages", "reply_days"})[:3]
        if extra:
            found.append(
                _bad(f"{path}.{str(extra[0])[:40]}", N_("%(path)s: not a field of a link"))
            )
            continue
        links.append(Link(agreement, tuple(dict.fromkeys(messages)), days))
    return tuple(links)


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _is_base_url(url: str) -> bool:
    """An https URL (http on loopback) naming a host (and a port, if any, that exists): no user or password
    (it would be shown to every reader), no query or fragment, no backslash (which some
    parsers read as a slash, so that the host would not be the one shown)."""
    if len(url) > 300 or any(c.isspace() or c == "\\" for c in url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when out of range
    except ValueError:  # e.g. "http://[::1"
        return False
    # answers over plain http could be forged on the way (a message marked delivered that
    # never was): http is for a partner on this machine (tests, drills) only
    local = parts.hostname in _LOOPBACK
    return (
        (parts.scheme == "https" or (parts.scheme == "http" and local))
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
        and not parts.query
        and not parts.fragment
        and (port is None or port > 0)
    )


def _bad(path: str, template: str, **params: Any) -> Finding:
    return Finding("exchange.bad_partner", template, {"path": path, **params}, field=path)
