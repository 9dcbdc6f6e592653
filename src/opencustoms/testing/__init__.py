"""Test support shipped with the package: in-memory fakes and the legal-case plugin."""
