"""`opencustoms node`: run this customs administration's node in the origin data exchange."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx2
import typer
import uvicorn

from opencustoms.cli.common import fail, migrated_services, out
from opencustoms.i18n import _
from opencustoms.observability import uvicorn_log_config
from opencustoms.settings import CONFIG_VARIABLE, check_config_file

app = typer.Typer(
    help=_("This customs administration's node in the origin data exchange."),
    no_args_is_help=True,
)

DELIVERY_TIMEOUT = httpx2.Timeout(10.0, connect=3.0)


@app.command("serve", help=_("Serve the API and web UI, and deliver messages to partner nodes."))
def serve(
    config: Path | None = typer.Option(
        None, "--config", help=_("The node's settings file (TOML), e.g. node.toml.")
    ),
) -> None:
    if config is not None:
        problems = check_config_file(config)
        if problems:
            fail("; ".join(problems[:5]))
        os.environ[CONFIG_VARIABLE] = str(config.resolve())  # the app's settings read it too
    svc = migrated_services()
    settings = svc.settings
    if settings.node_id is None:
        svc.close()
        fail(_("This node has no node_id: set it in the node's settings file."))
    stop = threading.Event()
    client = httpx2.Client(timeout=DELIVERY_TIMEOUT)
    worker = svc.delivery_worker(client)
    delivering = threading.Thread(target=worker.run, args=(stop,), name="delivery", daemon=True)
    message = _("Node %(node)s: serving on http://%(host)s:%(port)s (Ctrl-C stops).")
    out.print(
        message % {"node": settings.node_id, "host": settings.host, "port": settings.port},
        markup=False,
    )
    delivering.start()
    server = uvicorn.Server(
        uvicorn.Config(
            "opencustoms.asgi:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_config=uvicorn_log_config(settings.log_level),
        )
    )
    try:
        server.run()
    finally:
        stop.set()
        delivering.join(timeout=15)
        client.close()
        svc.close()
