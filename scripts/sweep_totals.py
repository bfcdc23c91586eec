#!/usr/bin/env python3
"""Per-setting totals over depths from one or more `hinf sweep` sweep.csv files.

Usage: scripts/sweep_totals.py DIR [DIR ...]
Prints, for each setting (every column but the depth), the converged count
per depth, the total, the failure classes and the mean epochs per depth.
"""
import csv, sys
from collections import OrderedDict

KEYS = ["covariance", "memory", "eps0", "gain_order", "tr_delta", "tr_tolerance",
        "tr_halvings", "forgetting", "process_noise", "gamma", "max_epochs"]

for d in sys.argv[1:]:
    rows = list(csv.DictReader(open(f"{d}/sweep.csv")))
    groups = OrderedDict()
    for r in rows:
        groups.setdefault(tuple(r[k] for k in KEYS), []).append(r)
    print(f"## {d}")
    for key, rs in groups.items():
        rs.sort(key=lambda r: int(r["layers"]))
        conv = [int(r["converged"]) for r in rs]
        trials = sum(int(r["trials"]) for r in rs)
        fails = {c: sum(int(r[c]) for r in rs) for c in ("stuck", "saturated", "diverged", "slow")}
        means = " ".join(f"{float(r['mean']):.1f}" if r["mean"] else "-" for r in rs)
        desc = " ".join(f"{k}={v}" for k, v in zip(KEYS, key))
        print(f"{desc}\n  L={','.join(r['layers'] for r in rs)} conv={conv} total={sum(conv)}/{trials} "
              f"fail={fails} mean={means} max={[r['max'] for r in rs]}")
