#!/usr/bin/env python3
"""HTTP throughput of `POST /v1/query` next to the framework's own echo route, for one or more kb builds, in one run.

    python3 Scripts/bench_http.py --kb .build/release/kb [--kb /tmp/old/kb] [--duration 10] [--skip-builtin]

For each build, with `wrk` (Debian package `wrk`), each row measured for --duration seconds after a short warm-up:

- `echo 20 KB`: the same with a 20 KB body, the size of a /v1/query answer here;
- `echo`: `kb bench echo` of the first build, Hummingbird alone sending a 2 KB JSON body back (the ceiling on this
  machine), measured first and last; shares are of the mean of the two;
- `hybrid` and `vector`: `kb serve` on the eval corpus (1,955 chunks) with the hash embedder, the dev questions in
  turn, k 5, at --connections (16);
- `builtin hybrid`: the same with the built-in all-MiniLM-L6-v2 at --builtin-connections (8), when its model files
  are present (`kb model fetch`).

Each build serves its own copy of one knowledge base file (ingested once by the first build), so only the query
path differs. Rows are interleaved build by build per route, so that a load spike hits both alike. Prints a
Markdown table (and --json FILE writes the figures).
"""
import argparse, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def unit_ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url, script, connections, duration, env):
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = unit_ms(re.search(r"\n\s+50%\s+(\S+)", out).group(1))
    p99 = unit_ms(re.search(r"\n\s+99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        raise SystemExit(f"wrk saw errors against {url}:\n{out}")
    return {"requests_per_second": rate, "p50_ms": p50, "p99_ms": p99}


def serve(kb, database, embedder, env, model_dir):
    port = free_port()
    command = [kb, "serve", "--db", database, "--port", str(port), "--log-level", "error"]
    environment = dict(env, KB_EMBEDDER=embedder)
    if model_dir:
        environment["KB_MODEL_DIR"] = model_dir
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}/healthz", process)
    return process, f"http://127.0.0.1:{port}"


def echo(kb, env):
    port = free_port()
    process = subprocess.Popen([kb, "bench", "echo", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{kb} bench echo did not start (is this build new enough to have it?)")
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}"


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def run(kbs, labels, corpus, questions, connections=16, builtin_connections=8, duration=10, warmup=2,
        model_dir=None, skip_builtin=False, log=lambda message: print(message, file=sys.stderr, flush=True)):
    """Measures every row for the builds `kbs` (the first must have `kb bench echo`); returns the report."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    kbs = [os.path.abspath(kb) for kb in kbs]
    env = dict(os.environ, KB_WRK_QUESTIONS=os.path.abspath(questions))
    model_dir = model_dir or os.path.expanduser("~/.cache/kb/models/all-minilm-l6-v2")
    builtin = not skip_builtin and os.path.isdir(model_dir)
    if not builtin and not skip_builtin:
        log(f"no built-in model in {model_dir} (kb model fetch); builtin row skipped")
    rows = []

    def measure(route, label, url, script, count, extra):
        environment = dict(env, **extra)
        if warmup:
            wrk(url, script, count, warmup, environment)
        figures = wrk(url, script, count, duration, environment)
        rows.append(dict(route=route, build=label, connections=count, **figures))
        log(f"{route:15} {label:30} {figures['requests_per_second']:9.0f} req/s  p50 {figures['p50_ms']:.2f} ms  "
            f"p99 {figures['p99_ms']:.2f} ms")

    def echo_row(when, size=2048):
        process, url = echo(kbs[0], env)
        try:
            measure("echo" if size == 2048 else f"echo {size // 1024} KB", when, url + "/echo",
                    "Scripts/wrk-echo.lua", connections, {"KB_WRK_ECHO_BYTES": str(size)})
        finally:
            stop(process)

    with tempfile.TemporaryDirectory() as scratch:
        databases = {}
        for embedder in ["hash"] + (["builtin"] if builtin else []):
            source = os.path.join(scratch, f"{embedder}.sqlite")
            log(f"ingesting {corpus} with {embedder}…")
            subprocess.run([kbs[0], "ingest", corpus, "--db", source, "--log-level", "error", "--json"],
                           check=True, stdout=subprocess.DEVNULL,
                           env=dict(env, KB_EMBEDDER=embedder, KB_MODEL_DIR=model_dir))
            for number in range(len(kbs)):
                copy = os.path.join(scratch, f"{embedder}-{number}.sqlite")
                # The write-ahead log too: the last commits may not be checkpointed into the main file yet.
                for suffix in ("", "-wal"):
                    if os.path.exists(source + suffix):
                        shutil.copyfile(source + suffix, copy + suffix)
                databases[(embedder, number)] = copy
        echo_row("first")
        for mode in ("hybrid", "vector"):
            for number, (kb, label) in enumerate(zip(kbs, labels)):
                process, url = serve(kb, databases[("hash", number)], "hash", env, None)
                try:
                    measure(f"hash {mode}", label, url, "Scripts/wrk-query.lua", connections, {"KB_WRK_MODE": mode})
                finally:
                    stop(process)
        if builtin:
            for number, (kb, label) in enumerate(zip(kbs, labels)):
                process, url = serve(kb, databases[("builtin", number)], "builtin", env, model_dir)
                try:
                    measure("builtin hybrid", label, url, "Scripts/wrk-query.lua", builtin_connections,
                            {"KB_WRK_MODE": "hybrid"})
                finally:
                    stop(process)
        echo_row("last")
        # For scale: a /v1/query answer on this corpus is about 20 KB (the prompt holds the passages' text again).
        echo_row("last", size=20 * 1024)
    echoes = [row["requests_per_second"] for row in rows if row["route"] == "echo"]
    return {"rows": rows, "echo_requests_per_second": sum(echoes) / len(echoes), "duration_s": duration,
            "load_average_end": os.getloadavg()[0]}


def table(report):
    """The report as Markdown lines."""
    lines = [f"HTTP throughput (wrk, {report['duration_s']} s per row, {os.cpu_count()} cores, load average "
             f"{report['load_average_end']:.1f} at the end; the eval corpus, 1,955 chunks, the dev questions in turn, "
             "k 5):", "",
             "| route | build | connections | requests/s | p50 | p99 | share of echo |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for row in report["rows"]:
        share = row["requests_per_second"] / report["echo_requests_per_second"] * 100
        lines.append(f"| {row['route']} | {row['build']} | {row['connections']} | {row['requests_per_second']:,.0f} | "
                     f"{row['p50_ms']:.2f} ms | {row['p99_ms']:.2f} ms | {share:.1f} % |")
    lines += ["", "echo: `kb bench echo` (Hummingbird alone, a 2 KB JSON body sent back), measured first and last; "
              "shares are of the mean of the two. echo 20 KB: the same with a body the size of a /v1/query answer on "
              "this corpus (the results, and the prompt that holds their text again).", ""]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", action="append", required=True, help="a kb binary; repeat to compare builds")
    parser.add_argument("--label", action="append", help="a name per --kb for the table (default: the path)")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "eval", "corpus"))
    parser.add_argument("--questions", default=os.path.join(ROOT, "..", "shared", "eval", "dev.jsonl"))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--builtin-connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=10, help="seconds per row")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each row, not reported")
    parser.add_argument("--model-dir", default=os.environ.get("KB_MODEL_DIR"))
    parser.add_argument("--skip-builtin", action="store_true")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    labels = args.label or args.kb
    if len(labels) != len(args.kb):
        raise SystemExit("give one --label per --kb")
    report = run(args.kb, labels, args.corpus, args.questions, args.connections, args.builtin_connections,
                 args.duration, args.warmup, args.model_dir, args.skip_builtin)
    print("\n".join(table(report)))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
