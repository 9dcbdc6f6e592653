"""`python -m opencustoms.cli`: the same as the `opencustoms` command."""

from opencustoms.cli.main import entry

entry()
