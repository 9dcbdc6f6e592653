"""Organisations, accounts, roles, API tokens and brokers' mandates."""
