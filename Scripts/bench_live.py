#!/usr/bin/env python3
"""Live knowledge base figures in one run (issue 12), all on loopback, bounded in count and time.

1. Write-to-visible: two `kb serve` on one file; 200 documents PUT through server B; for each, the time from B's
   201 until A's index has applied the change (A's kb_index_sequence reaches B's, polled on /metrics).
2. Query p50 on server A (follower running) and the cost of the per-query feed check (`kb bench follow`).
3. `kb sync` of the eval corpus: first sync, a second one with nothing changed, one after touching 10 files.

    python3 Scripts/bench_live.py --kb .build/release/kb [--embedder builtin|hash] [--store postgres://…]

With --store, everything runs on that knowledge base (e.g. a PostgreSQL schema) instead of a new SQLite file; it
must be empty.
"""
import argparse, json, os, secrets, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Writes need a token (kb serve would otherwise generate one beside the database).
TOKEN = secrets.token_hex(16)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json",
                                                                         "Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_up(base, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"kb serve exited: {process.stderr.read().decode()}")
        try:
            if request("GET", base + "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("kb serve did not start")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", default=os.path.join(ROOT, ".build/release/kb"))
    parser.add_argument("--embedder", default="builtin")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "eval", "corpus"))
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--store", help="an empty knowledge base to run on (default: a new SQLite file)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="kb-bench-live-")
    env = dict(os.environ, KB_LOG_LEVEL="error")
    env["KB_API_TOKEN"] = TOKEN
    store = ["--store", args.store or os.path.join(work, "kb.sqlite")]
    corpus = os.path.join(work, "corpus")
    shutil.copytree(args.corpus, corpus)

    def sync():
        started = time.perf_counter()
        run = subprocess.run([args.kb, "sync", corpus, *store, "--embedder", args.embedder, "--json",
                              "--allow-failures"], env=env, capture_output=True, text=True, timeout=3600)
        seconds = time.perf_counter() - started
        if run.returncode != 0:
            sys.exit(f"kb sync failed: {run.stderr}")
        report = json.loads(run.stdout)
        return seconds, report

    first, report = sync()
    print(f"kb sync, first: {first:.2f} s wall, {len(report['added'])} added, "
          f"{report['embedding_requests']} embedding requests", flush=True)
    again, report = sync()
    print(f"kb sync, nothing changed: {again:.3f} s wall, {len(report['updated'])} updated, "
          f"{report['embedding_requests']} embedding requests", flush=True)
    touched = sorted(p for p in (os.path.join(dp, f) for dp, _, fs in os.walk(corpus) for f in fs) if p.endswith(".md"))[:10]
    for path in touched:
        with open(path, "a") as f:
            f.write("\n\nEdited for the benchmark: check the dashboard first.\n")
    edited, report = sync()
    print(f"kb sync, 10 files touched: {edited:.3f} s wall, {len(report['updated'])} updated, "
          f"{report['embedded_chunks']} chunks embedded in {report['embedding_requests']} requests", flush=True)

    servers = []
    try:
        bases = []
        for name in ("A", "B"):
            port = free_port()
            process = subprocess.Popen([args.kb, "serve", *store, "--embedder", args.embedder, "--port", str(port)],
                                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            servers.append(process)
            base = f"http://127.0.0.1:{port}"
            wait_up(base, process)
            bases.append(base)
        a, b = bases
        def sequence(base):
            text = request("GET", base + "/metrics")[1].decode()
            return int(float(next(l.split()[1] for l in text.splitlines() if l.startswith("kb_index_sequence "))))

        lags, index_lags = [], []
        for n in range(args.writes):
            path = f"live/bench-{n}.md"
            status, body = request("PUT", f"{b}/v1/documents/by-path/{path}",
                                   {"content": f"# Live {n}\n\n## Steps\n\nRestart unit number {n} and check it."})
            if status not in (200, 201):
                sys.exit(f"PUT failed: {status} {body[:200]}")
            written = time.perf_counter()
            deadline = written + 10
            # B applied its own write before answering: its index sequence is the write's change.
            target = sequence(b)
            while sequence(a) < target:
                if time.perf_counter() > deadline:
                    sys.exit(f"change {target} not applied on A after 10 s")
                time.sleep(0.001)
            index_lags.append((time.perf_counter() - written) * 1000)
            while True:
                if request("GET", f"{a}/v1/documents/by-path/{path}")[0] == 200:
                    lags.append((time.perf_counter() - written) * 1000)
                    break
                if time.perf_counter() > deadline:
                    sys.exit(f"{path} not visible on A after 10 s")
                time.sleep(0.001)
        print(f"write on B -> in A's index (kb_index_sequence) over {len(index_lags)} writes: "
              f"p50 {percentile(index_lags, 50):.1f} ms, p99 {percentile(index_lags, 99):.1f} ms, "
              f"max {max(index_lags):.1f} ms", flush=True)
        print(f"write on B -> readable on A (GET by-path, after the index) over {len(lags)} writes: "
              f"p50 {percentile(lags, 50):.1f} ms, p99 {percentile(lags, 99):.1f} ms", flush=True)
        # The document is visible to reads at once (the store); the index follows: check a query finds the last one.
        status, body = request("POST", f"{a}/v1/query", {"question": f"restart unit number {args.writes - 1}", "k": 3})
        print(f"query on A for the last write: {status}, top {json.loads(body)['results'][0]['path'] if status == 200 else body[:100]}")
        times = []
        for n in range(300):
            started = time.perf_counter()
            request("POST", f"{a}/v1/query", {"question": "disk is full on a node", "k": 5})
            times.append((time.perf_counter() - started) * 1000)
        print(f"query on A (follower running, {len(times)} sequential): p50 {percentile(times, 50):.2f} ms, "
              f"p99 {percentile(times, 99):.2f} ms", flush=True)
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)
    follow = subprocess.run([args.kb, "bench", "follow", *store, "--embedder", args.embedder], env=env, capture_output=True, text=True, timeout=600)
    print(follow.stdout.strip() or follow.stderr.strip())
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
