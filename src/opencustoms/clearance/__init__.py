"""Clearance: import declarations, the tariff and duty, and the preference check."""
