"""A small loopback HTTP server for Neo4j Browser's `:play` guide and `:style` sheet.

Browser fetches remote guides from the page itself, so responses allow any origin (CORS); the
host must be in Neo4j's ``browser.remote_content_hostname_allowlist``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudmap.cypher.browser import GUIDE_HOST, asset_path

ROUTES = {"/guide": ("guide.html", "text/html; charset=utf-8"),
          "/guide.html": ("guide.html", "text/html; charset=utf-8"),
          "/style.grass": ("style.grass", "text/plain; charset=utf-8")}


class GuideHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        route = ROUTES.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_error(404, "try /guide or /style.grass")
            return
        body = asset_path(route[0]).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", route[1])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass  # quiet: the CLI already says what it serves


def make_server(port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((GUIDE_HOST, port), GuideHandler)


def serve_in_background(port: int) -> ThreadingHTTPServer:
    server = make_server(port)
    threading.Thread(target=server.serve_forever, daemon=True, name="cloudmap-guide").start()
    return server
