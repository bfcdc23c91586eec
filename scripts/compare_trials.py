#!/usr/bin/env python3
"""Compares two `hinf train --out` trials CSVs trial by trial.

    python3 scripts/compare_trials.py A_trials.csv B_trials.csv

Prints how many trials end differently (epochs, convergence or failure
class), the converged counts of each, and the differing trials.
"""
import csv
import sys


def load(path):
    return {r["trial"]: r for r in csv.DictReader(open(path))}


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    if a.keys() != b.keys():
        sys.exit("the files hold different trials")
    key = lambda r: (r["epochs"], r["converged"], r["class"])
    diff = [t for t in a if key(a[t]) != key(b[t])]
    conv = lambda d: sum(r["converged"] == "true" for r in d.values())
    print(f"{len(a)} trials, {len(diff)} end differently; converged {conv(a)} and {conv(b)}")
    if diff:
        print("differing trials: " + ", ".join(diff))


if __name__ == "__main__":
    main()
