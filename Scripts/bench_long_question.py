#!/usr/bin/env python3
"""Time one long question (a pasted log of ~4,000 characters) through `kb query`, for one or more kb builds.

    python3 Scripts/bench_long_question.py --kb .build/release/kb [--kb /tmp/old/kb] [--runs 20]

Each build gets its own SQLite knowledge base of the eval corpus (hash embedder, so the figure is retrieval's, not
a model's) and answers the same generated question `--runs` times in hybrid and keyword mode; the p50 of the
`search` time kb reports (keyword counts, keyword search, vector scan, fusion) is printed side by side, in one run.
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def long_question(corpus, length, seed=7):
    words = []
    for folder, _, files in sorted(os.walk(corpus)):
        for name in sorted(files):
            if name.endswith(".md"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    words += re.findall(r"[A-Za-z_]{3,}", handle.read())
    rng = random.Random(seed)
    parts = []
    # Seven words in ten from the runbooks, the rest host names they never contain, as in a pasted log.
    while len(" ".join(parts)) < length:
        parts.append(rng.choice(words) if rng.random() < 0.7 else "host-%08x" % rng.getrandbits(32))
    return " ".join(parts)[:length]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", action="append", required=True, help="a kb binary; repeat to compare builds")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "eval", "corpus"))
    parser.add_argument("--length", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    question = long_question(args.corpus, args.length)
    distinct = len({w.lower() for w in re.findall(r"[\w-]+", question)})
    print(f"question: {len(question)} characters, about {distinct} distinct words")
    with tempfile.TemporaryDirectory() as scratch:
        for number, kb in enumerate(args.kb):
            database = os.path.join(scratch, f"kb-{number}.sqlite")
            env = dict(os.environ, KB_EMBEDDER="hash")
            subprocess.run([kb, "ingest", args.corpus, "--db", database, "--log-level", "error", "--json"],
                           check=True, env=env, stdout=subprocess.DEVNULL)
            for mode in ("hybrid", "keyword"):
                search, total = [], []
                for _ in range(args.runs):
                    out = subprocess.run([kb, "query", question, "--mode", mode, "--json", "--db", database],
                                         check=True, env=env, capture_output=True, text=True).stdout
                    timings = json.loads(out)["timings_ms"]
                    search.append(timings["search"])
                    total.append(timings["total"])
                print(f"{kb} {mode}: search p50 {statistics.median(search):.1f} ms, "
                      f"query total p50 {statistics.median(total):.1f} ms over {args.runs}")


if __name__ == "__main__":
    main()
