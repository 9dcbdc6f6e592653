"""The command line (Typer + Rich): the same services as the API, `--json` for scripts."""
