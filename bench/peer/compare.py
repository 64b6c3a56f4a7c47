"""Put heard's and django-helpdesk's figures for the same operations side by side.

    python3 compare.py --heard heard.json --peer peer.json --out compare.md [--note TEXT]

Either side may be left out (one-sided runs). Prints a Markdown table and writes it to
--out; a JSON copy goes next to it (same name, .json), or --out itself when it ends in
.json (then the Markdown goes to the same name with .md).

Ratios: "throughput ×" is heard's req/s over the peer's (above 1: heard serves more);
"CPU ×" is the peer's server CPU-ms per request over heard's (above 1: heard spends less).
CPU per request is the steadier of the two on a shared two-core machine.
"""

import argparse
import json
import os
import sys

OP_NAMES = {
    "create": "create ticket (API)",
    "queue": "agent queue page",
    "view": "view a ticket",
    "search": "search",
}


def load(path):
    if not path:
        return None
    with open(path) as f:
        doc = json.load(f)
    if "operations" not in doc:
        sys.exit(f"compare: {path} has no 'operations'")
    return doc


def by_op(doc):
    return {o["op"]: o for o in doc["operations"]} if doc else {}


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fmt(x):
    """A figure with about three significant digits."""
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def fmt_ratio(x):
    if x is None:
        return "–"
    return f"{x:.2f}×" if x < 10 else f"{x:,.0f}×"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heard")
    ap.add_argument("--peer")
    ap.add_argument("--out", required=True)
    ap.add_argument("--note", action="append", default=[], help="a line printed under the table")
    args = ap.parse_args()
    heard, peer = load(args.heard), load(args.peer)
    if not heard and not peer:
        sys.exit("compare: nothing to compare (neither --heard nor --peer)")
    h, p = by_op(heard), by_op(peer)
    ops = [o for o in OP_NAMES if o in h or o in p] + sorted((set(h) | set(p)) - set(OP_NAMES))

    rows = []
    for op in ops:
        ho, po = h.get(op, {}), p.get(op, {})
        row = {
            "op": op,
            "heard_per_s": ho.get("per_s"),
            "peer_per_s": po.get("per_s"),
            "throughput_ratio": ratio(ho.get("per_s"), po.get("per_s")),
            "heard_p99_ms": ho.get("p99_ms"),
            "peer_p99_ms": po.get("p99_ms"),
            "heard_cpu_ms_per_req": ho.get("server_cpu_ms_per_req"),
            "peer_cpu_ms_per_req": po.get("server_cpu_ms_per_req"),
            "cpu_ratio": ratio(po.get("server_cpu_ms_per_req"), ho.get("server_cpu_ms_per_req")),
            "heard_requests": ho.get("requests"),
            "heard_errors": ho.get("errors"),
            "peer_requests": po.get("requests"),
            "peer_errors": po.get("errors"),
        }
        rows.append(row)

    head = [
        "operation", "heard req/s", "peer req/s", "throughput ×",
        "heard p99 ms", "peer p99 ms", "heard CPU ms/req", "peer CPU ms/req", "CPU ×",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            OP_NAMES.get(r["op"], r["op"]),
            fmt(r["heard_per_s"]), fmt(r["peer_per_s"]), fmt_ratio(r["throughput_ratio"]),
            fmt(r["heard_p99_ms"]), fmt(r["peer_p99_ms"]),
            fmt(r["heard_cpu_ms_per_req"]), fmt(r["peer_cpu_ms_per_req"]),
            fmt_ratio(r["cpu_ratio"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    errs = [
        f"{side} {r['op']}: {r[side + '_errors']} errors of {r[side + '_requests']}"
        for r in rows for side in ("heard", "peer") if r.get(side + "_errors")
    ]
    notes = list(args.note) + errs + [
        "throughput × = heard req/s ÷ peer req/s; CPU × = peer CPU-ms/request ÷ heard CPU-ms/request.",
    ]
    text = "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    print(text, end="")

    doc = {
        "heard": {k: v for k, v in (heard or {}).items() if k != "operations"} or None,
        "peer": {k: v for k, v in (peer or {}).items() if k != "operations"} or None,
        "notes": list(args.note),
        "rows": rows,
    }
    out = args.out
    base, ext = os.path.splitext(out)
    md_path, json_path = (base + ".md", out) if ext == ".json" else (out, base + ".json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(md_path, "w") as f:
        f.write(text)
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"\nwritten: {md_path} and {json_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
