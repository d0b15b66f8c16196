#!/usr/bin/env python3
"""Clients that misbehave against a running `skinscan serve` on 127.0.0.1:PORT; after each, a
normal request must still be answered promptly. Exits 1 naming the first check that failed.

Usage: hostile_clients.py PORT IMAGE TIMEOUT_S   (TIMEOUT_S: the server's --timeout)
"""
import http.client
import json
import socket
import sys
import threading
import time

port, image_path, server_timeout = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
image = open(image_path, "rb").read()


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def connect():
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def classify_ok(within_s=20.0):
    """A normal upload still gets its answer, promptly."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=within_s)
    conn.request("POST", "/v1/classify", body=image, headers={"Content-Type": "image/jpeg"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    if r.status != 200 or "results" not in json.loads(body):
        fail(f"normal request got {r.status}: {body[:200]!r}")
    return time.monotonic() - t0


def raw_exchange(data, read=True):
    s = connect()
    s.sendall(data)
    if not read:
        s.close()
        return b""
    chunks = []
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 0:
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(rest) >= length[0]:
                    break
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return b"".join(chunks)


def status_of(response):
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def check_status(name, data, expected):
    response = raw_exchange(data)
    status = status_of(response)
    if status not in expected:
        fail(f"{name}: status {status}, expected {expected}: {response[:300]!r}")
    body = response.partition(b"\r\n\r\n")[2]
    if status >= 400 and body:
        try:
            doc = json.loads(body)
            if doc.get("status") != status or not doc.get("error"):
                fail(f"{name}: error body lacks status/error: {body[:200]!r}")
        except json.JSONDecodeError:
            fail(f"{name}: error body is not JSON: {body[:200]!r}")
    print(f"ok: {name} -> {status}")


# 1. Malformed requests of every kind get a 4xx (or a closed connection), never a crash.
check_status("malformed multipart", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
             b"boundary=abc\r\nContent-Length: 20\r\nConnection: close\r\n\r\nthis is not multipart", {400})
check_status("multipart without boundary", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data"
             b"\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", {400})
check_status("garbage request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", {400, None})
check_status("header over 8 KiB", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", {400, 431, None})
check_status("bad chunked encoding", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
             b"Connection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", {400})
check_status("unknown path", b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {400, 404})
check_status("wrong method", b"PUT /v1/explain HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", {405})

# 2. Over the byte limit: answered 413 from the header, while the client has sent no body at all.
s = connect()
s.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 999999999\r\n\r\n")
s.settimeout(10)
response = s.recv(65536)
s.close()
if status_of(response) != 413:
    fail(f"oversized Content-Length: expected 413 before any body, got {response[:200]!r}")
print("ok: 413 before the body is sent")

# 3. Clients that disconnect mid-upload, twenty times over.
head = b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(image)
for _ in range(20):
    raw_exchange(head + image[: len(image) // 3], read=False)
classify_ok()
print("ok: 20 mid-upload disconnects")

# 4. Slow clients: ten connections send half a request and go silent. Others are served at once,
#    and the server drops the silent ones after its timeout.
slow = []
for _ in range(10):
    c = connect()
    c.sendall(head + image[:100])
    slow.append(c)
elapsed = classify_ok(within_s=10)
print(f"ok: served in {elapsed:.2f}s next to 10 stalled uploads")
t0 = time.monotonic()
for c in slow:
    c.settimeout(server_timeout + 10)
    try:
        data = c.recv(65536)
        if data and status_of(data) not in (400, 408):
            fail(f"stalled upload answered {data[:100]!r}")
    except (ConnectionResetError, socket.timeout) as e:
        if isinstance(e, socket.timeout):
            fail("a stalled upload was never dropped")
    c.close()
print(f"ok: stalled uploads dropped within {time.monotonic() - t0:.1f}s (timeout {server_timeout}s)")

# 5. 200 concurrent connections, each uploading an image: every one is answered 200.
results, lock = [], threading.Lock()


def one():
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/v1/classify", body=image, headers={"Content-Type": "image/jpeg"})
        r = conn.getresponse()
        r.read()
        status = r.status
        conn.close()
    except Exception as e:
        status = repr(e)
    with lock:
        results.append(status)


threads = [threading.Thread(target=one) for _ in range(200)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
bad = [r for r in results if r != 200]
if bad:
    fail(f"200 concurrent uploads: {len(bad)} not answered 200: {bad[:5]}")
print(f"ok: 200 concurrent uploads answered 200 in {time.monotonic() - t0:.1f}s")
classify_ok()
print("ok: still serving")
