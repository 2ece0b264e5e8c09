#!/usr/bin/env python3
"""PostgreSQL figures in one run (issue 13), on loopback against a throwaway server:

1. `kb ingest` of the eval corpus into SQLite and into PostgreSQL, same embedder, one after the other.
2. Replicas on PostgreSQL: Scripts/bench_live.py with --store (write on B -> in A's index, query p50/p99, sync).
3. Index load of N synthetic rows (default 100k × 384) from PostgreSQL and from SQLite (`kb bench load`).

    eval "$(Scripts/start-postgres /tmp/kb-bench-pg)"
    python3 Scripts/bench_postgres.py --kb .build/release/kb --url "$KB_TEST_POSTGRES_URL" [--embedder hash]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def schema_url(url, name):
    return url + ("&" if "?" in url else "?") + f"schema={name}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", default=os.path.join(ROOT, ".build/release/kb"))
    parser.add_argument("--url", default=os.environ.get("KB_TEST_POSTGRES_URL"), required=False)
    parser.add_argument("--embedder", default="hash")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "eval", "corpus"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-live", action="store_true")
    args = parser.parse_args()
    if not args.url:
        sys.exit("give --url postgres://… (eval \"$(Scripts/start-postgres DIR)\" starts a server)")
    env = dict(os.environ, KB_LOG_LEVEL="error")
    work = tempfile.mkdtemp(prefix="kb-bench-pg-")
    run_id = uuid.uuid4().hex[:8]
    try:
        for name, store in (("sqlite", os.path.join(work, "ingest.sqlite")),
                            ("postgres", schema_url(args.url, f"bench_ingest_{run_id}"))):
            started = time.perf_counter()
            run = subprocess.run([args.kb, "ingest", args.corpus, "--store", store, "--embedder", args.embedder],
                                 env=env, capture_output=True, text=True, timeout=3600)
            seconds = time.perf_counter() - started
            if run.returncode != 0:
                sys.exit(f"ingest into {name} failed: {run.stderr}")
            print(f"ingest of {args.corpus} into {name} ({args.embedder} embedder): {seconds:.2f} s wall; "
                  f"{run.stdout.strip().splitlines()[-1]}", flush=True)
        if not args.skip_live:
            subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "bench_live.py"), "--kb", args.kb,
                            "--embedder", args.embedder, "--corpus", args.corpus,
                            "--store", schema_url(args.url, f"bench_live_{run_id}")], check=True, env=env)
        for name, store in (("sqlite", os.path.join(work, "load.sqlite")),
                            ("postgres", schema_url(args.url, f"bench_load_{run_id}"))):
            run = subprocess.run([args.kb, "bench", "load", "--store", store, "--count", str(args.rows), "--runs", "3"],
                                 env=env, capture_output=True, text=True, timeout=3600)
            if run.returncode != 0:
                sys.exit(f"bench load on {name} failed: {run.stderr}")
            result = json.loads(run.stdout)
            print(f"index load of {result['rows']} × {result['dimension']} from {name}: best "
                  f"{result['bestMilliseconds']:.0f} ms, median {result['medianMilliseconds']:.0f} ms "
                  f"(store {result['fileBytes'] / 1e6:.0f} MB)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
