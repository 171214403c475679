"""A loopback HTTP server with a known cost: GET /delay/MS answers "ok" after MS milliseconds.

The target for tests and benchmarks that need a fixed service time (nginx cannot add one), started
by scripts/lib/servers.sh. One thread per connection, keep-alive, nothing else.

    python3 delay_server.py PORT
"""
import http.server
import re
import sys
import time


class DelayHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        match = re.fullmatch(r"/delay/(\d{1,6})", self.path.split("?", 1)[0])
        if match is None:
            self.answer(404, b"use /delay/MILLISECONDS\n")
            return
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
    Server(("127.0.0.1", int(sys.argv[1])), DelayHandler).serve_forever()
