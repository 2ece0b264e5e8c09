#!/usr/bin/env python3
"""Driver for Scripts/bench: runs every part in one process and writes one Markdown table plus JSON."""
import argparse, datetime, json, os, platform, shutil, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_http  # noqa: E402
import bench_search  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("KB_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))


def parse_sizes(text):
    return [int(float(s[:-1]) * (1_000_000 if s[-1] in "mM" else 1000)) if s[-1] in "kKmM" else int(s)
            for s in text.split(",") if s]


def log(message):
    print(message, file=sys.stderr, flush=True)


def machine(kb):
    info = {"cpu": "", "cores": os.cpu_count(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "kernel": platform.release(), "load_average_at_start": os.getloadavg()}
    try:
        info["cpu"] = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from threadpoolctl import threadpool_info
    import faiss, numpy
    info["numpy"] = numpy.__version__
    info["faiss"] = faiss.__version__
    info["blas"] = [{k: p.get(k) for k in ("filepath", "version", "architecture", "threading_layer")}
                    for p in threadpool_info() if p.get("user_api") == "blas"]
    info["openblas_env_unset"] = {"OPENBLAS_CORETYPE": os.environ.get("KB_BENCH_ORIGINAL_OPENBLAS_CORETYPE", ""),
                                  "OPENBLAS_L2_SIZE": os.environ.get("KB_BENCH_ORIGINAL_OPENBLAS_L2_SIZE", "")}
    return info


def bandwidth(kb):
    out = subprocess.run([kb, "bench", "bandwidth", "--megabytes", "1024", "--threads", "1,2"], check=True,
                         capture_output=True, text=True)
    swift = {int(k): v for k, v in json.loads(out.stdout)["read_gb_per_s"].items()}
    import numpy as np
    array = np.ones(256 * 1024 * 1024, dtype=np.float32)
    best = 0
    for _ in range(3):
        started = time.perf_counter()
        array.sum()
        best = max(best, array.nbytes / (time.perf_counter() - started) / 1e9)
    return {"kb_stream_gb_per_s": swift, "numpy_sum_gb_per_s": round(best, 2), "best_gb_per_s": max(list(swift.values()) + [best])}


def load_times(kb, data_dir, sizes):
    rows = []
    for n in sizes:
        db = os.path.join(data_dir, f"load-{bench_search.size_label(n)}x384.sqlite")
        for precision in ("fp32", "fp16"):
            log(f"index load {bench_search.size_label(n)}×384 {precision} (creates {db} on first use)…")
            out = subprocess.run([kb, "bench", "load", "--db", db, "--count", str(n), "--dimension", "384",
                                  "--precision", precision], check=True, capture_output=True, text=True)
            rows.append(json.loads(out.stdout))
    return rows


def server_up(host):
    try:
        urllib.request.urlopen(host + "/api/version", timeout=2).read()
        return True
    except OSError:
        return False


def ingest(kb, port, threads):
    """kb ingest chunks/s vs the server's own throughput on the same chunks, same server, same run."""
    tool = os.path.join(SHARED, "tools", "ollama-minilm")
    corpus = os.path.join(SHARED, "eval", "corpus", "runbooks")
    if not os.path.exists(os.path.join(tool, "server.py")) or not os.path.isdir(corpus):
        return {"skipped": f"{tool} or {corpus} not found"}
    venv = os.environ.get("KB_BENCH_EMBENV", "/tmp/embenv")
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        subprocess.run(["bash", os.path.join(tool, "setup.sh"), venv], check=True, stdout=sys.stderr)
    host = f"http://127.0.0.1:{port}"
    server = None
    if not server_up(host):
        command = [os.path.join(venv, "bin", "python"), "server.py", "--port", str(port), "--quiet"]
        if threads:
            command += ["--threads", str(threads)]
        server = subprocess.Popen(command, cwd=tool)
        for _ in range(100):
            if server_up(host):
                break
            time.sleep(0.2)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            db = os.path.join(scratch, "kb.sqlite")
            env = dict(os.environ, OLLAMA_HOST=host)

            def server_alone(when):
                # The server's own throughput on the chunks kb stored (batches of 32, one request at a time).
                log(f"ingest: the server's own throughput on the same chunks ({when})…")
                out = subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "embedder-throughput.py"), db,
                                      "--host", host], check=True, capture_output=True, text=True)
                return json.loads(out.stdout)

            log("ingest: kb ingest of the eval corpus with the real MiniLM server…")
            started = time.perf_counter()
            out = subprocess.run([kb, "ingest", corpus, "--db", db, "--embedder", "ollama", "--json"], env=env,
                                 check=True, capture_output=True, text=True)
            wall = time.perf_counter() - started
            summary = json.loads(out.stdout)
            # Measured right after kb's ingest and once more after that, so a machine whose load drifts during the
            # run shows as two different figures instead of skewing one.
            raws = [server_alone("1 of 2"), server_alone("2 of 2")]
        kb_rate = summary["embedded_chunks"] / summary["seconds"]
        server_rate = sum(r["chunks_per_second"] for r in raws) / len(raws)
        return {"chunks": summary["chunks"], "embedded_chunks": summary["embedded_chunks"],
                "requests": summary["embedding_requests"], "kb_seconds": summary["seconds"], "kb_wall_seconds": wall,
                "kb_chunks_per_s": kb_rate, "server_chunks_per_s": server_rate,
                "server_runs_chunks_per_s": [r["chunks_per_second"] for r in raws],
                "server_seconds": [r["seconds"] for r in raws], "busy": kb_rate / server_rate}
    finally:
        if server is not None:
            server.terminate()
            server.wait()


def fmt(value, digits=2):
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(report):
    m = report["machine"]
    bw = report["bandwidth"]
    lines = [f"# kb benchmark, {report['started']}", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB, load average at start "
             f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}. numpy {m['numpy']}, faiss {m['faiss']}; "
             f"kb's OpenBLAS kernel: {report.get('kb_blas_core', '?')}; "
             + "; ".join(f"{os.path.basename(b['filepath'])} {b['version']} {b['architecture']}" for b in m["blas"]) + ".",
             "",
             f"Read bandwidth: kb streaming sum {', '.join(f'{t} thread(s) {v} GB/s' for t, v in bw['kb_stream_gb_per_s'].items())}; "
             f"numpy sum {bw['numpy_sum_gb_per_s']} GB/s. Physical limit per query = bytes of the index "
             f"(N·d·4 in fp32, N·d·2 in fp16) ÷ {bw['best_gb_per_s']:.2f} GB/s (best).",
             "", "## Top-10 search (same vectors, same 256 queries for every tool)", "",
             "| N × d | tool | threads | single p50 ms | single mean ms | × limit | single q/s | × FAISS single | batch-256 ms | batch q/s | × FAISS batch | same top-10 (single / batch) | recall@10 (single / batch) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for row in report["search"]:
        # fp16 rows are compared with FAISS's fp16 index, fp32 rows with IndexFlatIP.
        baseline = "faiss-sq-fp16" if row.get("precision") == "fp16" else "faiss"
        faiss_row = next(r for r in report["search"] if r["tool"] == baseline and r["n"] == row["n"]
                         and r["d"] == row["d"] and r["threads"] == row["threads"])
        limit_ms = row["bytes_per_query"] / (bw["best_gb_per_s"] * 1e9) * 1000
        lines.append(f"| {bench_search.size_label(row['n'])} × {row['d']} | {row['tool']} | {row['threads']} | "
                     f"{fmt(row['single_p50_ms'])} | {fmt(row['single_mean_ms'])} | {fmt(row['single_mean_ms'] / limit_ms)} | "
                     f"{fmt(row['single_qps'], 1)} | {fmt(faiss_row['single_mean_ms'] / row['single_mean_ms'])} | "
                     f"{fmt(row['batch_ms'], 1)} | {fmt(row['batch_qps'], 0)} | {fmt(row['batch_qps'] / faiss_row['batch_qps'])} | "
                     f"{row['same_top10_single']:.0%} / {row['same_top10_batch']:.0%} | "
                     f"{row.get('recall_at_10_single', 1):.4f} / {row.get('recall_at_10_batch', 1):.4f} |")
    lines += ["", "Tools: faiss = IndexFlatIP, numpy = matvec + argpartition, kb = kb's index in fp32; "
              "faiss-sq-fp16 = IndexScalarQuantizer QT_fp16 (inner product), kb-fp16 = kb's index with --precision fp16. "
              "× limit: mean single-query latency ÷ (bytes of the index ÷ bandwidth), 1.00 is the physical limit; "
              "fp16 indexes hold N·d·2 bytes. "
              "× FAISS: how many times faster than FAISS with the same threads and precision (IndexFlatIP for fp32 "
              "rows, IndexScalarQuantizer fp16 for fp16 rows; above 1 is faster). "
              "Same top-10: share of queries whose ten ids equal the exact reference's (FAISS IndexFlatIP, 1 thread) in "
              "the same order; recall@10: share of the reference's ten ids found.", ""]
    if report.get("load"):
        lines += ["## Index load from the SQLite file", "", "| vectors | d | precision | file MB | best ms | median ms |",
                  "|---:|---:|---|---:|---:|---:|"]
        for row in report["load"]:
            lines.append(f"| {row['rows']:,} | {row['dimension']} | {row.get('precision', 'fp32')} | "
                         f"{row['fileBytes'] / 1e6:,.0f} | "
                         f"{fmt(row['bestMilliseconds'], 0)} | {fmt(row['medianMilliseconds'], 0)} |")
        lines.append("")
    ingest_result = report.get("ingest")
    if ingest_result and "skipped" not in ingest_result:
        lines += ["## Ingest against the real all-MiniLM-L6-v2 server (public eval corpus)", "",
                  "| chunks | embedded | requests | kb ingest s | kb chunks/s | server alone chunks/s (mean of 2 runs) | embedder busy |",
                  "|---:|---:|---:|---:|---:|---:|---:|",
                  f"| {ingest_result['chunks']} | {ingest_result['embedded_chunks']} | {ingest_result['requests']} | "
                  f"{fmt(ingest_result['kb_seconds'], 1)} | {fmt(ingest_result['kb_chunks_per_s'], 1)} | "
                  f"{fmt(ingest_result['server_chunks_per_s'], 1)} ({', '.join(fmt(r, 1) for r in ingest_result['server_runs_chunks_per_s'])}) | "
                  f"{ingest_result['busy']:.0%} |", ""]
    elif ingest_result:
        lines += [f"Ingest: skipped ({ingest_result['skipped']}).", ""]
    if report.get("http", {}).get("rows"):
        lines += ["## HTTP throughput of POST /v1/query", ""] + bench_http.table(report["http"])
    elif report.get("http"):
        lines += [f"HTTP throughput: skipped ({report['http']['skipped']}).", ""]
    lines.append(f"Total time {report['seconds']:.0f} s.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb", required=True)
    parser.add_argument("--full", action="store_true", help="every N × d (1M × 768 is 3 GB) and load at 1M")
    parser.add_argument("--sizes", help="N values, e.g. 10k,100k,1M (default 10k,100k,1M)")
    parser.add_argument("--dims", default="384,768")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--load-sizes", help="index load sizes (default 100k; with --full 100k,1M)")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-http", action="store_true", help="leave out the HTTP throughput table")
    parser.add_argument("--http-compare", action="append", default=[], metavar="KB",
                        help="another kb binary for the HTTP table, measured in the same run (e.g. the last release)")
    parser.add_argument("--http-duration", type=int, default=10, help="seconds per HTTP row")
    parser.add_argument("--port", type=int, default=11700, help="port of the MiniLM server (started if not running)")
    parser.add_argument("--server-threads", type=int, help="threads of the MiniLM server this script starts")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-results"))
    args = parser.parse_args()
    data_dir = os.path.join(args.out, "data")
    os.makedirs(data_dir, exist_ok=True)
    started = time.time()
    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine(args.kb),
              "command": " ".join(sys.argv[1:])}
    log("read bandwidth…")
    report["bandwidth"] = bandwidth(args.kb)
    threads = [int(t) for t in args.threads.split(",")]
    report["search"] = []
    if not args.skip_search:
        sizes = parse_sizes(args.sizes or "10k,100k,1M")
        for d in [int(x) for x in args.dims.split(",")]:
            for n in sizes:
                if n * d > 1_000_000 * 384 and not args.full and not args.sizes:
                    continue
                log(f"search {bench_search.size_label(n)}×{d}…")
                report["search"] += bench_search.bench_size(args.kb, data_dir, n, d, threads, log)
        kb_rows = [r for r in report["search"] if r["tool"] == "kb"]
        report["kb_blas_core"] = kb_rows[0]["blas_core"] if kb_rows else None
    if not args.skip_load:
        report["load"] = load_times(args.kb, data_dir, parse_sizes(args.load_sizes or ("100k,1M" if args.full else "100k")))
    if not args.skip_ingest:
        report["ingest"] = ingest(args.kb, args.port, args.server_threads)
    if not args.skip_http:
        log("HTTP throughput…")
        kbs = [args.kb] + args.http_compare
        try:
            report["http"] = bench_http.run(kbs, ["this build"] + args.http_compare,
                                            os.path.join(SHARED, "eval", "corpus"),
                                            os.path.join(SHARED, "eval", "dev.jsonl"),
                                            duration=args.http_duration, log=log)
        except SystemExit as reason:  # wrk missing, a server that would not start: the rest of the report stands
            report["http"] = {"skipped": str(reason)}
    report["seconds"] = time.time() - started
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = markdown(report)
    for name in (f"bench-{stamp}", "latest"):
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump(report, f, indent=2)
        with open(os.path.join(args.out, name + ".md"), "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
