#!/usr/bin/env python3
"""Load client for `skinscan serve`: a fixed number of POSTs at a fixed concurrency, against a
loopback server only. Prints one JSON line: requests, concurrency, seconds, requests/s, p50/p99
latency (ms), status counts. Exits 1 if any request failed or the time limit ran out.

Usage: serve_load.py PORT IMAGE... [--requests N] [--concurrency C] [--path /v1/classify] [--time-limit S]
"""
import argparse
import http.client
import json
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("images", nargs="+", help="image files, sent in turn as raw bodies")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--path", default="/v1/classify")
    ap.add_argument("--time-limit", type=float, default=600, help="give up after this many seconds")
    args = ap.parse_args()

    bodies = [open(p, "rb").read() for p in args.images]
    lock = threading.Lock()
    next_index = [0]
    latencies, statuses, failures = [], {}, []
    deadline = time.monotonic() + args.time_limit

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                if i >= args.requests or time.monotonic() > deadline:
                    break
                next_index[0] += 1
            body = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            try:
                conn.request("POST", args.path, body=body, headers={"Content-Type": "application/octet-stream"})
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            except Exception as e:  # a failed request is counted, the worker reconnects
                status = type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            ms = 1000 * (time.perf_counter() - t0)
            with lock:
                latencies.append(ms)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status != 200:
                    failures.append(status)
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    latencies.sort()

    def pct(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None

    done = len(latencies)
    print(json.dumps({"requests": done, "concurrency": args.concurrency, "seconds": round(seconds, 3),
                      "requests_per_s": round(done / seconds, 2), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                      "statuses": statuses}))
    if failures or done < args.requests:
        print(f"serve_load: {len(failures)} failed, {args.requests - done} not sent before the time limit",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
