"""The latency a bare client sees: GET a URL at a constant rate over one kept-alive socket, timing each
response from the moment its request was written to its last byte.

bench-http's reference for Strain's open-model latency (the issue's "wrk2-style truth"): no engine, no
histogram, no scheduler, so whatever Strain adds on top shows as a ratio. At the rates used (a few
thousand a second against a loopback server answering in tens of µs) one request is in flight at a
time; a request whose turn came while the previous one was still out is sent as soon as it is back,
and timed from then (the probe measures service time; it is the reference, not a load generator).

    python3 latency_probe.py HOST PORT PATH RATE SECONDS   →  "p50_us p99_us requests"
"""
import socket
import sys
import time


def read_response(connection, buffer):
    """Reads one response with a Content-Length body; returns False when the server closed."""
    view = memoryview(buffer)
    received = 0
    head_end = -1
    while head_end < 0:
        count = connection.recv_into(view[received:])
        if count == 0:
            return False
        received += count
        head_end = buffer.find(b"\r\n\r\n", 0, received)
    head = bytes(buffer[:head_end]).lower()
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        raise SystemExit("latency_probe: the response has no Content-Length")
    line_end = head.find(b"\r\n", start + 2)
    length = int(head[start + 17:line_end if line_end >= 0 else len(head)])
    wanted = head_end + 4 + length
    while received < wanted:
        count = connection.recv_into(view[received:])
        if count == 0:
            return False
        received += count
    return True


def main():
    host, port, path, rate, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    connection = socket.create_connection((host, port))
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = bytearray(1 << 20)
    interval = 1 / rate
    latencies = []
    start = time.perf_counter()
    for number in range(int(rate * seconds)):
        due = start + number * interval
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        sent = time.perf_counter_ns()
        connection.sendall(request)
        if not read_response(connection, buffer):
            raise SystemExit("latency_probe: the server closed the connection")
        latencies.append(time.perf_counter_ns() - sent)
    latencies.sort()

    def percentile(p):
        # Nearest rank, as Strain's histograms report it.
        return latencies[max(0, -(-len(latencies) * p // 100) - 1)] / 1000

    print(f"{percentile(50):.1f} {percentile(99):.1f} {len(latencies)}")


main()
