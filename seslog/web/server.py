"""Run the pages: bind (loopback unless told otherwise), print the address, serve until Ctrl-C."""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
import webbrowser
from collections.abc import Sequence
from typing import TextIO

from seslog.errors import SeslogError
from seslog.web.app import Site, create_app

LOOPBACK = "127.0.0.1"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _host_header(name: str, port: int) -> str:
    """The ``Host`` a browser sends for ``name`` (a host name, an IPv4 or IPv6 address, with a port or not)."""
    if name.startswith("["):
        return name if "]:" in name else f"{name}:{port}"
    if name.count(":") == 1:
        return name
    return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"


def serve(
    site: Site, *, host: str, port: int, open_browser: bool, out: TextIO, err: TextIO, allow_hosts: Sequence[str] = ()
) -> None:
    """``allow_hosts``: for an address other than loopback, the names (or addresses) other machines reach this one by,
    the only ``Host`` values answered there besides the address itself."""
    import uvicorn

    if not _is_loopback(host) and not allow_hosts:
        raise SeslogError(
            f"--host {host} needs --allow-host NAME, once for each name or address other machines reach this one by "
            "(the pages answer only requests addressed to a name they know, against DNS rebinding)"
        )
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
    allowed |= {_host_header(name.strip().lower(), port) for name in allow_hosts}
    if not _is_loopback(host):
        err.write(
            f"seslog: warning: --host {host} lets other machines reach these pages, and through them the mail log "
            f"with your AWS credentials; they must ask for one of {', '.join(sorted(allowed))}\n"
        )
    app = create_app(site, allowed)
    server = _server_class(uvicorn.Server)(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False)
    )
    out.write(f"seslog: serving {site.target} on {url} (read-only; Ctrl-C to stop)\n")
    out.flush()
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.run(sockets=[listener])
    if server.interrupted:
        raise KeyboardInterrupt


def _server_class(base: type) -> type:
    """uvicorn's server, remembering a Ctrl-C. uvicorn shuts down on it, then raises it again for
    the program to stop as it would have; but asyncio can take that second SIGINT as a request to
    cancel a task that has already finished, and drop it, so that the command would exit 0."""

    class Server(base):
        interrupted = False

        def handle_exit(self, sig: int, frame: object) -> None:
            self.interrupted = self.interrupted or sig == signal.SIGINT
            super().handle_exit(sig, frame)

    return Server
