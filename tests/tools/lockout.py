#!/usr/bin/env python3
"""Lock-out attempt against `socklock serve` on loopback, and what a legitimate client sees.

Attackers on --attackers addresses (default 127.0.0.1 and 127.0.0.3) each hold --per-ip
connections: half send a partial request head over TLS and then one header line every
--trickle seconds, half connect and never send a ClientHello. Every attacker connection that
is closed is opened again at once, so the slots stay contested. Meanwhile a client on
--client (127.0.0.2) sends one review every --interval seconds, each on a new TLS
connection (curl), and counts the answers that arrive within --timeout seconds.

Prints one JSON object: the client's requests, answers, success rate, latency p50/p99 in ms,
and how many attacker connections were closed by the server. Exit status 0; the caller
judges the figures."""
import argparse
import asyncio
import json
import multiprocessing
import resource
import ssl
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--review", required=True, help="an AdmissionReview JSON file")
    p.add_argument("--attackers", default="127.0.0.1,127.0.0.3")
    p.add_argument("--client", default="127.0.0.2")
    p.add_argument("--per-ip", type=int, default=512)
    p.add_argument("--duration", type=float, default=45)
    p.add_argument("--warmup", type=float, default=3, help="seconds of attack before measuring")
    p.add_argument("--trickle", type=float, default=10)
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--timeout", type=float, default=5)
    return p.parse_args()


class Stats:
    def __init__(self):
        self.closed = 0
        self.opened = 0
        self.latencies = []
        self.failures = 0
        self.errors = {}


async def attacker(args, ctx, ip, silent, stats, stop):
    while not stop.is_set():
        writer = None
        try:
            if silent:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", args.port, local_addr=(ip, 0))
            else:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    "127.0.0.1", args.port, ssl=ctx, server_hostname="localhost",
                    local_addr=(ip, 0)), 10)
                writer.write(b"POST /validate HTTP/1.1\r\nHost: localhost\r\n")
            stats.opened += 1
            while not stop.is_set():
                try:
                    data = await asyncio.wait_for(reader.read(1024), args.trickle)
                    if not data:
                        break  # closed by the server
                except asyncio.TimeoutError:
                    if not silent:
                        writer.write(b"X-Trickle: 1\r\n")
                        await writer.drain()
            if not stop.is_set():
                stats.closed += 1
                await asyncio.sleep(0.5)
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            if not stop.is_set():
                stats.closed += 1
                await asyncio.sleep(0.5)
        finally:
            if writer is not None:
                writer.close()


def client_process(args, body, out):
    """The legitimate client: curl, in a process of its own, one review per new TLS connection,
    so that neither the attackers' event loop nor Python's own cost is in what it measures:
    curl's time_total, from its connect to the last byte of the answer."""
    import subprocess
    import tempfile
    latencies, failures, errors = [], 0, {}
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        f.write(body)
        f.flush()
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            t0 = time.monotonic()
            r = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                 "--max-time", str(args.timeout), "--interface", args.client,
                 "--cacert", args.ca, "--resolve", "localhost:%d:127.0.0.1" % args.port,
                 "-H", "Content-Type: application/json", "--data-binary", "@" + f.name,
                 "https://localhost:%d/validate" % args.port],
                capture_output=True, text=True)
            code, _, secs = r.stdout.partition(" ")
            if r.returncode == 0 and code == "200":
                latencies.append(float(secs) * 1000)
            else:
                failures += 1
                key = "curl exit %d, HTTP %s" % (r.returncode, code)
                errors[key] = errors.get(key, 0) + 1
            time.sleep(max(0, args.interval - (time.monotonic() - t0)))
    out.put((latencies, failures, errors))


async def main():
    args = parse()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.per_ip * len(args.attackers.split(",")) + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    ctx = ssl.create_default_context(cafile=args.ca)
    body = open(args.review, "rb").read()
    stats, client_stats = Stats(), Stats()
    stop = asyncio.Event()
    tasks = []
    for ip in args.attackers.split(","):
        for i in range(args.per_ip):
            tasks.append(asyncio.ensure_future(attacker(args, ctx, ip, i % 2 == 1, stats, stop)))
            if i % 64 == 63:
                await asyncio.sleep(0.05)  # ramp, so the handshakes are not one burst
    await asyncio.sleep(args.warmup)
    q = multiprocessing.Queue()
    proc = multiprocessing.Process(target=client_process, args=(args, body, q))
    proc.start()
    while proc.is_alive() and q.empty():
        await asyncio.sleep(0.2)
    client_stats.latencies, client_stats.failures, client_stats.errors = q.get()
    proc.join()
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    lat = sorted(client_stats.latencies)
    n = len(lat) + client_stats.failures

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

    print(json.dumps({
        "client_requests": n,
        "client_answers": len(lat),
        "success_rate": round(len(lat) / n, 4) if n else 0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "client_errors": client_stats.errors,
        "attacker_connections_opened": stats.opened,
        "attacker_connections_closed_by_server": stats.closed,
    }))


asyncio.run(main())
