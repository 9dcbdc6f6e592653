"""Identifiers: random, URL-safe, prefixed by the kind of object.

A prefix ("org_", "acc_") lets a person reading a log or a support ticket
tell at once what an id refers to.
"""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"
