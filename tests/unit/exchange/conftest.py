"""Two in-memory nodes, Korea and Japan, partners of each other (see test_receiving.py)."""

from tests.unit.exchange.test_receiving import kr_jp  # noqa: F401
