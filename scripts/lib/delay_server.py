"""A loopback HTTP server with a known cost: GET /delay/MS answers "ok" after MS milliseconds.

The target for tests and benchmarks that need a fixed service time (nginx cannot add one), started
by scripts/lib/servers.sh. One thread per connection, keep-alive, nothing else.

With --workers N, at most N requests are served at once and the others queue for a worker: a
pool of N servers with a fixed service time, whose capacity is N / service time (strain capacity's test).

    python3 delay_server.py PORT [--workers N]
"""
import argparse
import http.server
import re
import threading
import time


class DelayHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Replaced by a semaphore of N with --workers N.
    workers = None

    def do_GET(self):
        match = re.fullmatch(r"/delay/(\d{1,6})", self.path.split("?", 1)[0])
        if match is None:
            self.answer(404, b"use /delay/MILLISECONDS\n")
            return
        if self.workers is None:
            time.sleep(int(match.group(1)) / 1000)
        else:
            with self.workers:
                time.sleep(int(match.group(1)) / 1000)
        self.answer(200, b"ok\n")

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--workers", type=int)
    options = parser.parse_args()
    if options.workers is not None:
        DelayHandler.workers = threading.Semaphore(options.workers)
    Server(("127.0.0.1", options.port), DelayHandler).serve_forever()
