"""Load client for the django-helpdesk peer: the same operations heard-bench runs against heard.

Standard library only. For each operation in turn it runs C threads, each with its own
HTTP connection, sending requests back to back for D seconds, and reports requests,
errors, requests per second, latency percentiles and the server's CPU time per request.

Server CPU is read from /proc/PID/stat: utime+stime of every live process in the server's
process group (gunicorn's master and its workers), plus the master's cutime+cstime (the
CPU of workers that exited and were reaped during the phase), before and after each phase.

    python3 peer_load.py --url http://127.0.0.1:PORT --creds creds.json \
        --duration-secs 10 --concurrency 4 --ops create,queue,view,search \
        --server-pid MASTER_PID --json peer.json

The JSON has the same shape as heard-bench's: {"operations": [{"op", "requests", "errors",
"per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms", "server_cpu_ms_per_req"}, ...], ...}.
"""

import argparse
import base64
import http.client
import json
import math
import os
import random
import sys
import threading
import time
import urllib.parse

CLK_TCK = os.sysconf("SC_CLK_TCK")

# What an agent types into the search box: the same words heard-bench searches heard for.
SEARCHES = [
    "printer", "invoice", "password", "refund", "login", "wifi", "vpn", "outlook password",
    "paper jam", "charged twice", "account locked", "battery", "shared drive permission",
    "two-factor", "export csv", "reset e-mail",
]
# Tickets that `view` picks from: the first ones on the agent's queue, as heard-bench does.
TICKET_POOL = 300

THINGS = [
    "invoice export", "VPN client", "mobile app", "printer", "shared calendar",
    "payment page", "CSV import", "webhook delivery", "refund", "backup job",
]
PROBLEMS = ["is not working", "fails with an error", "is very slow", "times out", "is missing"]


# --- server CPU ---------------------------------------------------------------------------


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, ...]."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    return data[data.rindex(")") + 2 :].split()


def group_cpu_ticks(leader):
    """utime+stime of every live process in `leader`'s process group, plus the leader's
    cutime+cstime (children it already reaped). In clock ticks."""
    pgrp = _stat_fields(leader)[2]
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            f = _stat_fields(name)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if f[2] != pgrp:
            continue
        # After the name: 0 state, 1 ppid, 2 pgrp, ..., 11 utime, 12 stime, 13 cutime, 14 cstime.
        total += int(f[11]) + int(f[12])
        if int(name) == leader:
            total += int(f[13]) + int(f[14])
    return total


# --- the operations -----------------------------------------------------------------------


def b64query(params):
    return base64.b64encode(json.dumps(params).encode()).decode("ascii")


class Ops:
    """Builds each operation's request; `check` says whether a response is a success."""

    def __init__(self, creds, length):
        self.creds = creds
        self.length = length
        self.cookie = f"{creds['session_cookie']}={creds['session']}"
        self.tickets = []
        # The staff ticket list's default query (open and reopened tickets, oldest first),
        # as django-helpdesk's ticket_list view builds it when no filter is given.
        self.queue_base = "/helpdesk/datatables_ticket_list/" + b64query(
            {
                "filtering": {"status__in": [1, 2]},
                "sorting": "created",
                "search_string": "",
                "sortreverse": False,
            }
        )
        self.queue_path = self.queue_base + f"?draw=1&start=0&length={length}"
        # A keyword search from the navigation bar: no status filter, a LIKE scan over
        # title, description, resolution, e-mail addresses and more.
        self.search_paths = [
            "/helpdesk/datatables_ticket_list/"
            + b64query(
                {
                    "filtering": {},
                    "filtering_null": {},
                    "sorting": "created",
                    "search_string": term,
                    "sortreverse": None,
                }
            )
            + f"?draw=1&start=0&length={length}"
            for term in SEARCHES
        ]

    def request(self, op, rng):
        """(method, path, body, headers, expected status)."""
        if op == "create":
            thing, problem = rng.choice(THINGS), rng.choice(PROBLEMS)
            body = {
                "queue": self.creds["queue_id"],
                "title": f"The {thing} {problem}",
                "description": (
                    f"Hello,\n\nSince this morning the {thing} {problem}. "
                    "I tried again after signing out and in, with the same result.\n\n"
                    f"Thanks,\nCustomer {rng.randint(1, 10**6)}"
                ),
                "submitter_email": f"customer{rng.randint(1, 10**6)}@example.com",
                "priority": rng.choice([2, 3, 3, 3, 4]),
                "assigned_to": rng.choice(self.creds["agent_ids"]),
            }
            headers = {
                "Authorization": f"Token {self.creds['token']}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
            return "POST", "/helpdesk/api/tickets/", json.dumps(body).encode(), headers, 201
        if op == "queue":
            return "GET", self.queue_path, None, {"Cookie": self.cookie}, 200
        if op == "view":
            tid = rng.choice(self.tickets)
            return "GET", f"/helpdesk/tickets/{tid}/", None, {"Cookie": self.cookie}, 200
        if op == "search":
            return "GET", rng.choice(self.search_paths), None, {"Cookie": self.cookie}, 200
        raise ValueError(f"unknown operation {op!r} (known: create, queue, view, search)")


def sanity_check(op, body):
    """Looks at one response body so that a page that answers 200 with the wrong thing
    (a login form, an empty list) fails the run instead of being measured."""
    if op in ("queue", "search"):
        doc = json.loads(body)
        if "data" not in doc or "recordsTotal" not in doc:
            raise RuntimeError(f"{op}: not a datatables answer: {body[:200]!r}")
        if op == "queue" and not doc["data"]:
            raise RuntimeError("queue: the open-tickets page is empty (was the desk seeded?)")
        return f"{len(doc['data'])} rows of {doc['recordsFiltered']} matching, {doc['recordsTotal']} total"
    if op == "view":
        text = body.decode("utf-8", "replace")
        if "login" in text[:2000].lower() and "followup" not in text.lower():
            raise RuntimeError("view: got a login page, not the ticket (session not accepted)")
        return f"{len(body)} bytes of HTML"
    if op == "create":
        doc = json.loads(body)
        if "id" not in doc:
            raise RuntimeError(f"create: no id in the answer: {body[:200]!r}")
        return f"ticket {doc['id']}"
    return ""


# --- running a phase ----------------------------------------------------------------------


class Worker(threading.Thread):
    def __init__(self, host, port, ops, op, deadline, seed, timeout):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.ops, self.op = ops, op
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.timeout = timeout
        self.latencies = []
        self.errors = 0
        self.error_samples = []

    def run(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        while time.monotonic() < self.deadline:
            method, path, body, headers, expected = self.ops.request(self.op, self.rng)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                ok = resp.status == expected
                why = f"HTTP {resp.status}: {data[:160]!r}"
            except (OSError, http.client.HTTPException) as e:
                ok, why = False, f"{type(e).__name__}: {e}"
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.latencies.append((time.perf_counter() - t0) * 1000.0)
            if not ok:
                self.errors += 1
                if len(self.error_samples) < 3:
                    self.error_samples.append(why)
        conn.close()


def percentile(sorted_ms, q):
    """Nearest-rank percentile of an ascending list: the smallest value with at least q%
    of the values at or below it (heard-bench's definition)."""
    if not sorted_ms:
        return 0.0
    rank = math.ceil(q / 100.0 * len(sorted_ms))
    return sorted_ms[max(1, min(rank, len(sorted_ms))) - 1]


def run_phase(host, port, ops, op, secs, concurrency, server_pid, seed, timeout):
    cpu0 = group_cpu_ticks(server_pid) if server_pid else None
    t0 = time.monotonic()
    workers = [
        Worker(host, port, ops, op, t0 + secs, seed * 1000 + i, timeout) for i in range(concurrency)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - t0
    cpu1 = group_cpu_ticks(server_pid) if server_pid else None
    lat = sorted(x for w in workers for x in w.latencies)
    requests = len(lat)
    errors = sum(w.errors for w in workers)
    samples = [s for w in workers for s in w.error_samples][:3]
    result = {
        "op": op,
        "requests": requests,
        "errors": errors,
        "per_s": round(requests / elapsed, 2) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "max_ms": round(lat[-1], 2) if lat else 0.0,
        "server_cpu_ms_per_req": (
            round((cpu1 - cpu0) * 1000.0 / CLK_TCK / requests, 3)
            if server_pid and requests else None
        ),
        "elapsed_secs": round(elapsed, 3),
    }
    if samples:
        result["error_samples"] = samples
    return result


def load_ticket_pool(host, port, ops, timeout):
    """Ids of the first TICKET_POOL tickets on the agent's queue."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", ops.queue_base + f"?draw=1&start=0&length={TICKET_POOL}",
                     headers={"Cookie": ops.cookie})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError(f"reading the queue for ticket ids: HTTP {resp.status}: {data[:300]!r}")
    ids = [row["id"] for row in json.loads(data)["data"]]
    if not ids:
        raise RuntimeError("the agent's queue is empty, so there is no ticket to view")
    return ids


def probe(host, port, ops, op, rng, timeout):
    """One request, checked in full; raises on anything unexpected."""
    method, path, body, headers, expected = ops.request(op, rng)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != expected:
        raise RuntimeError(
            f"{op}: {method} {path} answered HTTP {resp.status} (wanted {expected}): {data[:300]!r}"
        )
    return sanity_check(op, data)


def main():
    ap = argparse.ArgumentParser(description="load client for the django-helpdesk peer")
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--creds", required=True, help="JSON written by peer_seed.py")
    ap.add_argument("--duration-secs", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--ops", default="create,queue,view,search")
    ap.add_argument("--server-pid", type=int, help="gunicorn's master (leader of its process group)")
    ap.add_argument("--warmup-secs", type=float, default=1.0,
                    help="unmeasured load before each phase (warms the workers' caches)")
    ap.add_argument("--page-length", type=int, default=50,
                    help="rows per queue/search page (heard-bench asks heard for 50)")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    ap.add_argument("--max-error-rate", type=float, default=0.0,
                    help="exit non-zero when a phase's errors exceed this share of its requests")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--label", default="django-helpdesk 2.6.1")
    args = ap.parse_args()

    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("peer_load: --url must be http:// on the loopback interface")
    host, port = url.hostname, url.port or 80
    with open(args.creds) as f:
        creds = json.load(f)
    ops = Ops(creds, args.page_length)
    names = [o.strip() for o in args.ops.split(",") if o.strip()]
    rng = random.Random(1)

    if "view" in names:
        ops.tickets = load_ticket_pool(host, port, ops, args.timeout)
    # Every operation once, checked, before anything is measured.
    for op in names:
        print(f"peer_load: probe {op}: {probe(host, port, ops, op, rng, args.timeout)}", file=sys.stderr)

    results, failed = [], []
    for i, op in enumerate(names):
        if args.warmup_secs > 0:
            run_phase(host, port, ops, op, args.warmup_secs, args.concurrency, None, 99 + i, args.timeout)
        r = run_phase(host, port, ops, op, args.duration_secs, args.concurrency,
                      args.server_pid, i + 1, args.timeout)
        results.append(r)
        cpu = r["server_cpu_ms_per_req"]
        print(
            f"peer_load: {op:<7} {r['requests']:>6} req {r['errors']:>4} err {r['per_s']:>8.1f}/s "
            f"p50 {r['p50_ms']:.1f} p95 {r['p95_ms']:.1f} p99 {r['p99_ms']:.1f} ms  "
            f"cpu {cpu if cpu is not None else '-'} ms/req",
            file=sys.stderr,
        )
        if r["requests"] == 0 or r["errors"] > args.max_error_rate * r["requests"]:
            failed.append(op)
            for s in r.get("error_samples", []):
                print(f"peer_load:   {op} error: {s}", file=sys.stderr)

    doc = {
        "system": args.label,
        "url": args.url,
        "concurrency": args.concurrency,
        "duration_secs": args.duration_secs,
        "warmup_secs": args.warmup_secs,
        "tickets": creds.get("tickets"),
        "clock_ticks_per_s": CLK_TCK,
        "operations": results,
    }
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=2)
        os.replace(tmp, args.json)
    if failed:
        sys.exit(f"peer_load: too many errors in: {', '.join(failed)}")


if __name__ == "__main__":
    main()
