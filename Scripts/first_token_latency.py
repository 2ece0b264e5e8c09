#!/usr/bin/env python3
"""First-token latency through POST /v1/chat/completions (SSE) against POST /v1/ask (NDJSON), same question, same stub.

    python3 Scripts/first_token_latency.py [--kb .build/release/kb] [--runs 40] [--embedder ollama]

Starts ../shared/tools/ollama-minilm (real MiniLM embeddings, the extractive chat stub streaming one word per chunk)
as kb's Ollama, ingests Corpus/platform, starts `kb serve`, then sends the same streamed question to both routes in
alternation over a fresh HTTP/1.1 connection each, and times from the request's first byte to the first byte of
answer text (the first {"type":"token"} line; the first chunk with a non-empty delta.content). Prints p50, p90 and
the mean per route, as the client saw it and as the server timed it (timings_ms.first_token: from the request's
arrival at the route to the model's first token). A measurement, not a test: it never fails on the numbers.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kb_live import CHAT_MODEL, LiveKB  # noqa: E402

QUESTION = "the disk is full on a host: what is the mitigation?"


def first_token(base, path, body, is_token):
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    payload = json.dumps(body).encode()
    started = time.perf_counter()
    connection.request("POST", path, payload, {"Content-Type": "application/json"})
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}: {response.read()[:300]!r}")
    elapsed, server = None, None
    for line in response:
        if elapsed is None and is_token(line):
            elapsed = time.perf_counter() - started
        server = server_first_token(line) or server
    connection.close()
    if elapsed is None or server is None:
        raise SystemExit(f"{path}: no answer text or no timings arrived")
    return elapsed * 1000, server


def server_first_token(line):
    """The server's own first_token timing, from /v1/ask's done line or the final chunk's kb object."""
    text = line[6:] if line.startswith(b"data: {") else line
    if not text.startswith(b"{"):
        return None
    event = json.loads(text)
    timings = event.get("timings_ms") or (event.get("kb") or {}).get("timings_ms") or {}
    return timings.get("first_token")


def ask_token(line):
    return line.startswith(b"{") and json.loads(line).get("type") == "token"


def chat_token(line):
    if not line.startswith(b"data: {"):
        return False
    choices = json.loads(line[6:]).get("choices") or [{}]
    return bool(choices[0].get("delta", {}).get("content"))


def summary(values):
    ordered = sorted(values)
    return (f"p50 {statistics.median(ordered):6.1f} ms   p90 {ordered[int(0.9 * (len(ordered) - 1))]:6.1f} ms   "
            f"mean {statistics.fmean(ordered):6.1f} ms   (n={len(ordered)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", default=".build/release/kb")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--embedder", default="ollama", choices=["ollama", "hash", "builtin"])
    args = parser.parse_args()
    with LiveKB(args.kb, "first-token", embedder=args.embedder) as live:
        ask = {"question": QUESTION, "model": CHAT_MODEL}
        chat = {"model": "kb:" + CHAT_MODEL, "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
        for _ in range(3):  # warm-up: the index is loaded, connections and caches are warm
            first_token(live.base, "/v1/ask", ask, ask_token)
            first_token(live.base, "/v1/chat/completions", chat, chat_token)
        timings = {"/v1/ask": [], "/v1/chat/completions": []}
        server = {"/v1/ask": [], "/v1/chat/completions": []}
        for _ in range(args.runs):
            for path, body, is_token in (("/v1/ask", ask, ask_token), ("/v1/chat/completions", chat, chat_token)):
                client, inside = first_token(live.base, path, body, is_token)
                timings[path].append(client)
                server[path].append(inside)
        print(f"first token, {args.kb}, embedder {args.embedder}, chat {CHAT_MODEL} (ollama-minilm stub), "
              f"question {QUESTION!r}")
        for path, values in timings.items():
            print(f"  {path:22} client {summary(values)}")
            print(f"  {'':22} server {summary(server[path])}")
        difference = statistics.median(timings["/v1/chat/completions"]) - statistics.median(timings["/v1/ask"])
        print(f"  difference of medians: {difference:+.1f} ms")


if __name__ == "__main__":
    main()
