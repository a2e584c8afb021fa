"""A loopback HTTP server for the IMDb-like fixture pages in tests/fixtures/imdb."""
import re, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from pathlib import Path

FIXTURES = Path(__file__).parent/'fixtures'/'imdb'


class FixtureSite:
    "Serves the search page, title pages (some slow on demand) and a block page; counts requests per path."
    def __init__(self, slow: set[str]=frozenset(), slow_seconds: float=5.):
        site = self
        self.slow, self.slow_seconds, self.hits = set(slow), slow_seconds, {}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_GET(self):
                path = self.path.split('?')[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                status = 200
                if path.startswith('/search/title'): name = 'search.html'
                elif path.startswith('/blocked/'): name, status = 'blocked.html', 503
                elif m := re.match(r'/title/(tt\d+)/$', path):
                    if m.group(1) in site.slow: time.sleep(site.slow_seconds)
                    name = f'title_{m.group(1)}.html'
                else: name = None
                if name is None or not (FIXTURES/name).exists(): self.send_error(404); return
                body = (FIXTURES/name).read_bytes()
                self.send_response(status); self.send_header('Content-Type', 'text/html; charset=utf-8')
                self.send_header('Content-Length', str(len(body))); self.end_headers()
                try: self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError): pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.server.server_port}'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self): self.server.shutdown(); self.server.server_close()
