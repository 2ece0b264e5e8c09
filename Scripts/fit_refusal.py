#!/usr/bin/env python3
"""Fits the refusal rule (class-balanced logistic regression over top cosine and term coverage) on kb eval reports.

    kb eval Tests/Eval/refusal.jsonl --db kb.sqlite --out refusal.json
    Scripts/fit_refusal.py refusal.json

Prints the weights for RefusalRule (cosine, coverage, bias) and how the rule fitted on the given reports calls
their questions. Fit on your own question files only (Tests/Eval), never on the set you report as held out.
"""
import json
import sys

import numpy as np


def fit_logistic(x, y, l2=1e-2):
    """Class-balanced logistic regression by Newton's method (as Scripts/retrieval_lab.py); bias last."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    pos = y.sum()
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * (len(y) - pos)))
    reg = l2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
    for _ in range(100):
        p = 1 / (1 + np.exp(-xb @ w))
        w -= np.linalg.solve((xb * (sw * p * (1 - p))[:, None]).T @ xb + reg, xb.T @ (sw * (p - y)) + reg @ w)
    return w


def main():
    rows = []
    for path in sys.argv[1:]:
        for q in json.load(open(path))["per_question"]:
            if q.get("top_cosine") is None:
                continue
            rows.append((q["top_cosine"], q["term_coverage"], 0.0 if q["kind"] == "unanswerable" else 1.0))
    data = np.array(rows)
    w = fit_logistic(data[:, :2], data[:, 2])
    refuse = data[:, :2] @ w[:2] + w[2] < 0
    answerable = data[:, 2] == 1
    print(f"cosineWeight: {w[0]:.2f}, coverageWeight: {w[1]:.2f}, bias: {w[2]:.2f}")
    print(f"on the fitted questions (names bypass not applied): unanswerable refused {int((refuse & ~answerable).sum())}"
          f"/{int((~answerable).sum())}, answerable refused {int((refuse & answerable).sum())}/{int(answerable.sum())}")


if __name__ == "__main__":
    main()
