"""Form profiles of certificates of origin (YAML beside their loader)."""
