"""Cross-cutting platform services: the audit log and idempotent writes."""
