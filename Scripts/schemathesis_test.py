#!/usr/bin/env python3
"""schemathesis against a live `kb serve`, with the server's own GET /openapi.json as the contract.

    python Scripts/schemathesis_test.py [--kb .build/debug/kb] [--max-examples 25] [--schemathesis PATH]

Starts ../shared/tools/ollama-minilm as kb's Ollama (its extractive stub answers chat), ingests Corpus/platform with
the hash embedder, starts `kb serve` with a write token (given to schemathesis, so writes and deletes are exercised
too), and runs every operation with examples, coverage and fuzzing phases, positive and negative data (a request
the document forbids must be rejected with a 4xx). Fails on any 5xx, and on any response
whose status, content type, headers or body the document does not allow. Bounded: --max-examples per operation and
--max-time in all.
"""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kb_live import LiveKB, fail  # noqa: E402

NAME = "schemathesis"
TOKEN = "schemathesis-write-token-3d2"
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", default=".build/debug/kb")
    parser.add_argument("--schemathesis", default=os.path.join(os.path.dirname(sys.executable), "schemathesis"))
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--max-time", type=int, default=100, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=1, help="Hypothesis seed, so a failure can be replayed")
    args = parser.parse_args()
    if not (os.access(args.schemathesis, os.X_OK) or shutil.which(args.schemathesis)):
        fail(NAME, f"{args.schemathesis} is missing; Scripts/test installs schemathesis into its venv")
    with LiveKB(args.kb, "schemathesis", embedder="hash", env={"KB_API_TOKEN": TOKEN}) as live:
        report = os.path.join(live.work, "report")
        config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
        command = [args.schemathesis, "--config-file", config, "run", f"{live.base}/openapi.json", "--checks", ",".join(CHECKS),
                   "--phases", "examples,coverage,fuzzing", "--max-examples", str(args.max_examples),
                   "--max-time", str(args.max_time), "--seed", str(args.seed), "--workers", "1",
                   "--request-timeout", "30", "--header", f"Authorization: Bearer {TOKEN}",
                   "--suppress-health-check", "all", "--generation-database", "none", "--no-color", "--report", "junit", "--report-dir", report]
        # One worker: Python 3.11 before 3.11.8 can fail parsing source in several threads at once (gh-106905),
        # which Hypothesis does while it builds strategies.
        print(f"{NAME}: {' '.join(command)}", flush=True)
        result = subprocess.run(command, cwd=live.work, timeout=args.max_time + 120)
        if result.returncode != 0:
            print(f"{NAME}: kb serve log (last lines):\n{live.log('kb-serve')}", file=sys.stderr)
            fail(NAME, f"schemathesis found problems (exit {result.returncode}); replay with --seed {args.seed}")
    print(f"{NAME}: no failures")


if __name__ == "__main__":
    main()
