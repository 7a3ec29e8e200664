"""`mnist-tui serve`: the dashboard in a web browser, through Textual's own server (textual-serve).

Each browser tab gets its own dashboard process (textual-serve starts the command once per
connection); all of them share the one run store, which is made for several writers. The
server has no authentication, so it listens on loopback unless told otherwise, and says so
loudly when it is. The address is tried before the server starts, so a port in use or a host
that is not this machine's gives one clear line instead of a traceback.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import re
import shlex
import socket
import sys
import tempfile
from pathlib import Path

from tui.cli import common

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a whole number from 1 to 65535")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="serve the dashboard to web browsers (one dashboard per tab)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
                             "there is no authentication)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    parser.add_argument("--public-url", metavar="URL",
                        help="the address browsers use to reach the server, if not http://HOST:PORT "
                             "(behind a proxy or a tunnel)")
    parser.add_argument("--data-dir", metavar="DIR", help="folder holding the four IDX files, for every dashboard")
    parser.set_defaults(handler=serve)


def _addresses(host: str, port: int) -> list[tuple]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)


def is_loopback(addresses: list[tuple]) -> bool:
    """True when every address the host name stands for is a loopback one (127.0.0.0/8, ::1)."""
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in addresses)


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host == ""


def check_address(host: str, port: int) -> tuple[list[tuple], int | None, str]:
    """Resolve `host` and bind `port` once, as the server will; returns (addresses, exit code, message)."""
    try:
        addresses = _addresses(host, port)
    except (socket.gaierror, UnicodeError) as error:
        return [], common.EXIT_USAGE, f"argument --host: cannot resolve {host!r} ({error})"
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return addresses, common.EXIT_FAILED, (
                        f"port {port} on {host} is in use by another program; choose another with --port")
                if error.errno == errno.EADDRNOTAVAIL:
                    return addresses, common.EXIT_USAGE, f"argument --host: {host} is not an address of this machine"
                return addresses, common.EXIT_FAILED, f"cannot listen on {host} port {port}: {error.strerror}"
    return addresses, None, ""


def serve(args: argparse.Namespace) -> int:
    addresses, code, message = check_address(args.host, args.port)
    if code is not None:
        return (common.usage_error if code == common.EXIT_USAGE else common.failure)("serve", message)
    public_url = args.public_url
    if not is_loopback(addresses):
        print(f"mnist-tui serve: warning: listening on {args.host}, reachable from other machines. "
              "There is no authentication: anyone who can reach this port can use the dashboard, "
              "start runs and delete them.", file=sys.stderr)
        if public_url is None and _is_wildcard(args.host):
            # The page tells the browser where its websocket is; 0.0.0.0 is not an address to connect to.
            public_url = f"http://{socket.gethostname()}:{args.port}"
            print(f"mnist-tui serve: browsers reach it as {public_url} (give --public-url if they use another "
                  "address)", file=sys.stderr)
    from textual_serve.server import Server

    command = f"{shlex.quote(sys.executable)} -m tui"
    if args.data_dir:
        command += f" --data-dir {shlex.quote(args.data_dir)}"
    with tempfile.TemporaryDirectory(prefix="mnist-tui-serve-") as templates:
        offline_template(Path(templates))
        server = Server(command, host=args.host, port=args.port, title="mnist-tui", public_url=public_url,
                        templates_path=templates)
        try:
            server.serve()
        except OSError as error:  # lost the port between the check and the start
            return common.failure("serve", f"cannot listen on {args.host} port {args.port}: {error.strerror or error}")
    return common.EXIT_OK


_REMOTE_STYLESHEET = re.compile(r"<link\b[^>]*\bhref=\"https?://[^\"]*\"[^>]*>", re.IGNORECASE | re.DOTALL)


def offline_template(folder: Path) -> None:
    """textual-serve's page without its remote stylesheet (a web font), so the page fetches nothing
    from elsewhere: offline it would be a failed request, online a visit the user did not ask for.
    The font falls back to the page's own list (Monaco, Courier New, monospace)."""
    import textual_serve

    source = Path(textual_serve.__file__).parent / "templates" / "app_index.html"
    (folder / source.name).write_text(_REMOTE_STYLESHEET.sub("", source.read_text(encoding="utf-8")),
                                      encoding="utf-8")
