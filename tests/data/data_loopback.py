"""A real HTTP server on 127.0.0.1 serving the shared dataset files, with faults chosen by URL prefix.

`/ok/<dataset>/<file>` serves the file and honours `Range: bytes=N-` (206); `/missing/...` is 404;
`/cut/...` announces the full length but closes after half; `/wrong/...` serves valid gzip of
other bytes; `/slow/...` waits `slow_seconds` before answering; `/norange/...` ignores Range.
"""

from __future__ import annotations

import gzip
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FaultyHandler(BaseHTTPRequestHandler):
    server: "LoopbackServer"

    def do_GET(self) -> None:
        fault, _, rest = self.path.strip("/").partition("/")
        self.server.requests.append((fault, rest, self.headers.get("Range")))
        path = self.server.root / rest
        if fault == "missing" or not path.is_file():
            self.send_error(404)
            return
        if fault == "slow":
            time.sleep(self.server.slow_seconds)
        data = path.read_bytes() if fault != "wrong" else gzip.compress(b"not the file you want" * 500)
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        start = int(match.group(1)) if match and fault in ("ok", "slow") else 0
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if fault == "cut":
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), FaultyHandler)
        self.root = root
        self.requests: list[tuple[str, str, str | None]] = []
        self.slow_seconds = 4.0
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request, client_address) -> None:
        pass  # clients that time out leave broken pipes behind; that is the point of the test

    def url(self, fault: str, dataset: str = "mnist") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{fault}/{dataset}/"
