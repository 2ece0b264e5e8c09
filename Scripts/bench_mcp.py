#!/usr/bin/env python3
"""Round-trip latency of MCP search_runbooks over stdio (kb mcp) and HTTP (POST /mcp) against POST /v1/query.

Same knowledge base (Corpus/), same question, same k and mode; one client, one request at a time, raw JSON-RPC
(no SDK in the client, so the figures are kb's): stdio writes a line and reads the answer line (buffered: an
unbuffered readline reads one byte per system call, which more than doubled the stdio figure); HTTP and /v1/query
reuse one keep-alive connection. Warm-up calls first, then --calls measured calls each; prints p50/p90/p99 in ms.

    python3 Scripts/bench_mcp.py --kb .build/release/kb [--embedder builtin|hash] [--calls 300]
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

QUESTION = "the disk is full, what do I do?"


def percentiles(samples):
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50": statistics.median(ordered), "p90": pick(0.90), "p99": pick(0.99), "n": len(ordered)}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(call, warmup, calls):
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", default=".build/release/kb")
    parser.add_argument("--embedder", default="builtin")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    kb = os.path.abspath(args.kb)
    work = tempfile.mkdtemp(prefix="kb-bench-mcp-")
    serve = mcp = None
    try:
        db = os.path.join(work, "kb.sqlite")
        subprocess.run([kb, "ingest", "--db", db, "--embedder", args.embedder, "Corpus"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        arguments = {"question": QUESTION, "k": args.k, "mode": "hybrid"}

        # stdio
        mcp = subprocess.Popen([kb, "mcp", "--db", db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
        ids = iter(range(1, 10**9))

        def rpc(method, params=None, notify=False):
            message = {"jsonrpc": "2.0", "method": method}
            if params is not None:
                message["params"] = params
            if not notify:
                message["id"] = next(ids)
            mcp.stdin.write((json.dumps(message) + "\n").encode())
            mcp.stdin.flush()
            if notify:
                return None
            reply = json.loads(mcp.stdout.readline())
            assert "result" in reply, reply
            return reply["result"]

        rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "bench", "version": "1"}})
        rpc("notifications/initialized", notify=True)
        first = rpc("tools/call", {"name": "search_runbooks", "arguments": arguments})
        assert not first.get("isError"), first
        top = first["structuredContent"]["results"][0]["path"]
        stdio = timed(lambda: rpc("tools/call", {"name": "search_runbooks", "arguments": arguments}),
                      args.warmup, args.calls)

        # HTTP: /mcp and /v1/query on one kb serve
        port = free_port()
        serve = subprocess.Popen([kb, "serve", "--db", db, "--port", str(port), "--log-level", "warning"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        connection = None
        while connection is None:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/readyz")
                ready = probe.getresponse()
                ready.read()
                if ready.status == 200:
                    connection = probe
            except OSError:
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise SystemExit("kb serve did not become ready")
                time.sleep(0.05)

        def post(path, body, headers):
            connection.request("POST", path, body=json.dumps(body),
                               headers={"Content-Type": "application/json", **headers})
            response = connection.getresponse()
            data = response.read()
            assert response.status == 200, (response.status, data[:300])
            return json.loads(data)

        mcp_headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "search_runbooks", "arguments": arguments}}
        assert post("/mcp", call, mcp_headers)["result"]["structuredContent"]["results"][0]["path"] == top
        http_mcp = timed(lambda: post("/mcp", call, mcp_headers), args.warmup, args.calls)
        query = {"question": QUESTION, "k": args.k, "mode": "hybrid"}
        assert post("/v1/query", query, {})["results"][0]["path"] == top
        v1_query = timed(lambda: post("/v1/query", query, {}), args.warmup, args.calls)

        print(json.dumps({"kb": args.kb, "embedder": args.embedder, "question": QUESTION, "k": args.k,
                          "top_result": top, "mcp_stdio_ms": stdio, "mcp_http_ms": http_mcp,
                          "v1_query_ms": v1_query}, indent=2))
    finally:
        for process in (mcp, serve):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
