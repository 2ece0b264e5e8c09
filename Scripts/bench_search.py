"""Vector search part of Scripts/bench: kb's index vs numpy vs FAISS IndexFlatIP on the same random unit vectors, and
kb's fp16 index vs FAISS IndexScalarQuantizer QT_fp16, with recall@10 against the exact float32 top-10."""
import json, os, subprocess, time
import numpy as np

K = 10
BATCH = 256


def size_label(n):
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def dataset(data_dir, n, d, seed=42):
    """N×d unit vectors and 256 unit queries as raw float32 files, generated once with numpy and reused."""
    base_path = os.path.join(data_dir, f"base-{size_label(n)}x{d}.f32")
    query_path = os.path.join(data_dir, f"queries-{d}.f32")
    if not os.path.exists(base_path) or os.path.getsize(base_path) != n * d * 4:
        rng = np.random.default_rng(seed)
        with open(base_path + ".tmp", "wb") as out:
            for start in range(0, n, 100_000):
                rows = rng.standard_normal((min(100_000, n - start), d), dtype=np.float32)
                rows /= np.linalg.norm(rows, axis=1, keepdims=True)
                rows.tofile(out)
        os.replace(base_path + ".tmp", base_path)
    if not os.path.exists(query_path):
        queries = np.random.default_rng(seed + 1).standard_normal((BATCH, d), dtype=np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        queries.tofile(query_path)
    base = np.fromfile(base_path, dtype=np.float32).reshape(n, d)
    queries = np.fromfile(query_path, dtype=np.float32).reshape(BATCH, d)
    return base_path, query_path, base, queries


def order(ids, scores):
    """Best first, equal scores by lower id (kb's order)."""
    idx = np.lexsort((ids, -scores))
    return ids[idx]


def numpy_single(base, q):
    s = base @ q
    idx = np.argpartition(-s, K)[:K]
    return order(idx, s[idx])


def numpy_batch(base, queries, block=65536):
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    for start in range(0, len(base), block):
        s = queries @ base[start:start + block].T
        top = np.argpartition(-s, min(K, s.shape[1] - 1), axis=1)[:, :K]
        best_ids = np.concatenate([best_ids, top + start], axis=1)
        best_scores = np.concatenate([best_scores, np.take_along_axis(s, top, axis=1)], axis=1)
        keep = np.argpartition(-best_scores, min(K, best_scores.shape[1] - 1), axis=1)[:, :K]
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
    return np.stack([order(i, s) for i, s in zip(best_ids, best_scores)])


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def summary(single_times, batch_times):
    single_mean = float(np.mean(single_times))
    batch_mean = float(np.mean(batch_times))
    return {"single_p50_ms": float(np.median(single_times)), "single_mean_ms": single_mean,
            "single_qps": 1000 / single_mean, "batch_ms": batch_mean, "batch_qps": BATCH * 1000 / batch_mean}


def run_numpy(base, queries, threads, singles, batches):
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=threads, user_api="blas"):
        numpy_single(base, queries[0])
        single_times, ids = [], []
        for i in range(singles):
            t, r = timed(lambda: numpy_single(base, queries[i % BATCH]), 1)
            single_times += t
            ids.append(r)
        batch_times, batch_ids = timed(lambda: numpy_batch(base, queries), batches)
    return summary(single_times, batch_times), np.array(ids), batch_ids


def run_faiss(index, queries, threads, singles, batches):
    import faiss
    faiss.omp_set_num_threads(threads)
    index.search(queries[:1], K)
    single_times, ids = [], []
    for i in range(singles):
        t, (_, r) = timed(lambda: index.search(queries[i % BATCH:i % BATCH + 1], K), 1)
        single_times += t
        ids.append(r[0])
    batch_times, (_, batch_ids) = timed(lambda: index.search(queries, K), batches)
    return summary(single_times, batch_times), np.array(ids), batch_ids


def run_kb(kb, base_path, query_path, d, threads, singles, batches, scratch, precision="fp32"):
    prefix = os.path.join(scratch, "kb-ids")
    out = subprocess.run([kb, "bench", "search", "--vectors", base_path, "--queries", query_path, "--dimension", str(d),
                          "--threads", str(threads), "--single", str(singles), "--batch-size", str(BATCH),
                          "--batches", str(batches), "--ids-out", prefix, "--precision", precision],
                         check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    ids = np.fromfile(prefix + "-single.i64", dtype=np.int64).reshape(singles, K)
    batch_ids = np.fromfile(prefix + "-batch.i64", dtype=np.int64).reshape(BATCH, K)
    single, batch = result["single"], result["batch"]
    return ({"single_p50_ms": single["p50Milliseconds"], "single_mean_ms": single["meanMilliseconds"],
             "single_qps": single["queriesPerSecond"], "batch_ms": batch["meanMilliseconds"],
             "batch_qps": batch["queriesPerSecond"], "blas_core": result["blasCore"]}, ids, batch_ids)


def same_top10(a, b):
    """Share of queries whose top-10 id lists are identical."""
    return float(np.mean([list(x) == list(y) for x, y in zip(a, b)]))


def recall_at_10(found, exact):
    """Share of the exact top-10 ids found, over all queries."""
    return float(np.mean([len(set(x) & set(y)) / K for x, y in zip(found, exact)]))


# (tool, precision): fp32 rows first, so the first row (FAISS IndexFlatIP, 1 thread) is the exact reference.
TOOLS = (("faiss", "fp32"), ("numpy", "fp32"), ("kb", "fp32"), ("faiss-sq-fp16", "fp16"), ("kb-fp16", "fp16"))


def bench_size(kb, data_dir, n, d, threads_list, log):
    import faiss
    base_path, query_path, base, queries = dataset(data_dir, n, d)
    singles = max(10, min(200, int(2e9 / (n * d * 4))))
    batches = max(1, min(10, int(4e9 / (n * d * 4 * 4))))
    index = faiss.IndexFlatIP(d)
    index.add(base)
    half = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    half.train(base)
    half.add(base)
    rows = []
    reference = None
    for threads in threads_list:
        for tool, precision in TOOLS:
            log(f"  {size_label(n)}×{d} {tool} {threads} thread(s)…")
            if tool == "faiss":
                result, ids, batch_ids = run_faiss(index, queries, threads, singles, batches)
            elif tool == "faiss-sq-fp16":
                result, ids, batch_ids = run_faiss(half, queries, threads, singles, batches)
            elif tool == "numpy":
                result, ids, batch_ids = run_numpy(base, queries, threads, singles, batches)
            else:
                result, ids, batch_ids = run_kb(kb, base_path, query_path, d, threads, singles, batches, data_dir,
                                                precision)
            if reference is None:
                reference = (ids, batch_ids)
            result.update(tool=tool, precision=precision, n=n, d=d, threads=threads, singles=singles,
                          batches=batches, bytes_per_query=n * d * (2 if precision == "fp16" else 4),
                          same_top10_single=same_top10(ids, reference[0]),
                          same_top10_batch=same_top10(batch_ids, reference[1]),
                          recall_at_10_single=recall_at_10(ids, reference[0]),
                          recall_at_10_batch=recall_at_10(batch_ids, reference[1]))
            rows.append(result)
    del index, half
    return rows
