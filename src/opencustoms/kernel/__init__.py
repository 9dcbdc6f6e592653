"""Shared value objects every bounded context relies on: HS codes, countries,
money, dates and identifiers. Pure code: no I/O, no frameworks."""
