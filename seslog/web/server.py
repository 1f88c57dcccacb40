"""Run the pages: bind (loopback unless told otherwise), print the address, serve until Ctrl-C."""

from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from typing import TextIO

from seslog.web.app import Site, create_app

LOOPBACK = "127.0.0.1"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(site: Site, *, host: str, port: int, open_browser: bool, out: TextIO, err: TextIO) -> None:
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    # Listening before the address is printed: a request made at once waits for the server instead of being refused.
    listener.listen(128)
    port = listener.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{port}/"
    # The names a browser on this machine sends as Host; nothing else is answered (DNS rebinding).
    allowed = {f"{shown}:{port}"} | ({f"{LOOPBACK}:{port}", f"localhost:{port}"} if _is_loopback(host) else set())
    if not _is_loopback(host):
        err.write(
            f"seslog: warning: --host {host} lets other machines reach these pages, and through them the mail log "
            f"with your AWS credentials; they must ask for {url} exactly\n"
        )
    app = create_app(site, allowed)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False))
    out.write(f"seslog: serving {site.target} on {url} (read-only; Ctrl-C to stop)\n")
    out.flush()
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.run(sockets=[listener])
