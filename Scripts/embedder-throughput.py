#!/usr/bin/env python3
"""Raw throughput of an Ollama-compatible embedding server on the chunks of a kb database.

Sends exactly the texts kb embeds (file name / heading prefix + chunk text), in batches of --batch-size,
one request at a time, and prints chunks/s. Compare with `kb ingest`'s chunks/s on the same corpus to see
how busy kb keeps the embedder.

    python3 Scripts/embedder-throughput.py kb.sqlite [--host http://127.0.0.1:11434] [--model all-minilm]
"""
import argparse, json, os, sqlite3, time, urllib.request

def prefix(path, heading):
    stem = os.path.splitext(os.path.basename(path))[0]
    if not heading:
        return stem
    norm = lambda s: "".join(ch for ch in s.lower() if ch.isalnum())
    return heading if norm(stem) == norm(heading.split(" › ")[0]) else f"{stem} › {heading}"

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--host", default=os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434"))
    parser.add_argument("--model", default="all-minilm")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    rows = sqlite3.connect(args.db).execute(
        "SELECT d.path, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.document_id "
        "ORDER BY d.path, c.ordinal").fetchall()
    texts = [prefix(p, h) + "\n" + t for p, h, t in rows]
    started = time.perf_counter()
    for i in range(0, len(texts), args.batch_size):
        body = json.dumps({"model": args.model, "input": texts[i:i + args.batch_size]}).encode()
        request = urllib.request.Request(args.host.rstrip("/") + "/api/embed", data=body,
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=600).read()
    seconds = time.perf_counter() - started
    print(json.dumps({"chunks": len(texts), "seconds": round(seconds, 2),
                      "chunks_per_second": round(len(texts) / seconds, 2)}))

if __name__ == "__main__":
    main()
