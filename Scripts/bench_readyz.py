#!/usr/bin/env python3
"""Threads and memory of `kb serve` under a burst of concurrent GET /readyz against a hanging Ollama.

A fake Ollama accepts every connection, reads what it is sent and never answers. `kb serve --embedder ollama` is
pointed at it (OLLAMA_HOST), on an empty knowledge base created for the run. Then --requests connections to kb
each send GET /readyz at once (all are open before the first is sent), and the kb process's /proc/PID/status is
sampled every 20 ms for --window seconds: Threads, VmRSS, VmHWM. Also counted: connections the fake Ollama
received (total and at most at once), and /readyz answers received within the window, by status.

    python3 Scripts/bench_readyz.py --kb OLD/.build/release/kb --kb NEW/.build/release/kb [--requests 2000]

Each --kb runs in turn against a fresh fake and a fresh knowledge base; one summary line per build at the end.
"""
import argparse
import collections
import os
import resource
import selectors
import shutil
import socket
import subprocess
import tempfile
import threading
import time


class HangingOllama:
    """Accepts connections, drains them, never answers; counts connections (total and open at once)."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4096)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.total = 0
        self.open = 0
        self.peak_open = 0
        self.stopping = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ, None)
        while not self.stopping:
            for key, _ in selector.select(timeout=0.1):
                if key.data is None:
                    try:
                        connection, _ = self.listener.accept()
                    except BlockingIOError:
                        continue
                    connection.setblocking(False)
                    selector.register(connection, selectors.EVENT_READ, "client")
                    self.total += 1
                    self.open += 1
                    self.peak_open = max(self.peak_open, self.open)
                else:
                    try:
                        data = key.fileobj.recv(65536)
                    except BlockingIOError:
                        continue
                    except ConnectionResetError:
                        data = b""
                    if not data:
                        selector.unregister(key.fileobj)
                        key.fileobj.close()
                        self.open -= 1
        for key in list(selector.get_map().values()):
            key.fileobj.close()

    def stop(self):
        self.stopping = True
        self.thread.join()


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            name, _, value = line.partition(":")
            if name in ("Threads", "VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
    return fields


def start_kb(kb, work, ollama_port):
    db = os.path.join(work, "kb.sqlite")
    environment = dict(os.environ, OLLAMA_HOST=f"http://127.0.0.1:{ollama_port}", KB_LOG_LEVEL="error")
    for name in ("KB_API_TOKEN", "KB_READ_TOKEN", "KB_DB", "KB_STORE", "KB_EMBEDDER"):
        environment.pop(name, None)
    log = open(os.path.join(work, "serve.log"), "w+")
    process = subprocess.Popen([kb, "serve", "--db", db, "--create", "--embedder", "ollama", "--port", "0",
                                "--log-level", "info"], env=environment, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 60
    while time.time() < deadline:
        log.seek(0)
        text = log.read()
        marker = text.find("listening on 127.0.0.1:")
        if marker >= 0:
            digits = ""
            for char in text[marker + len("listening on 127.0.0.1:"):]:
                if not char.isdigit():
                    break
                digits += char
            if digits:
                return process, int(digits)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    log.seek(0)
    raise SystemExit(f"kb serve did not start:\n{log.read()}")


def burst(kb, requests, window):
    work = tempfile.mkdtemp(prefix="kb-bench-readyz-")
    ollama = HangingOllama()
    process, port = start_kb(kb, work, ollama.port)
    try:
        baseline = status(process.pid)
        sockets = []
        for _ in range(requests):
            client = socket.socket()
            client.connect(("127.0.0.1", port))
            sockets.append(client)
        request = f"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        selector = selectors.DefaultSelector()
        for client in sockets:
            client.sendall(request)
            client.setblocking(False)
            selector.register(client, selectors.EVENT_READ, bytearray())
        peak = dict(baseline)
        statuses = collections.Counter()
        answered = 0
        end = time.time() + window
        next_sample = 0.0
        while time.time() < end:
            now = time.time()
            if now >= next_sample:
                sample = status(process.pid)
                for name, value in sample.items():
                    peak[name] = max(peak.get(name, 0), value)
                next_sample = now + 0.02
            for key, _ in selector.select(timeout=0.02):
                try:
                    data = key.fileobj.recv(65536)
                except (BlockingIOError, ConnectionResetError):
                    continue
                key.data.extend(data)
                head = bytes(key.data)
                if b"\r\n\r\n" in head or not data:
                    line = head.split(b"\r\n", 1)[0].split()
                    statuses[line[1].decode() if len(line) > 1 else "closed"] += 1
                    answered += 1
                    selector.unregister(key.fileobj)
        final = status(process.pid)
        for client in sockets:
            client.close()
        return {
            "kb": kb, "requests": requests, "window_s": window,
            "threads_before": baseline["Threads"], "threads_peak": peak["Threads"],
            "rss_before_mib": baseline["VmRSS"] / 1024, "rss_peak_mib": peak["VmRSS"] / 1024,
            "hwm_mib": max(peak["VmHWM"], final["VmHWM"]) / 1024,
            "ollama_connections": ollama.total, "ollama_connections_at_once": ollama.peak_open,
            "answered": answered, "statuses": dict(statuses),
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        ollama.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", action="append", required=True, help="a kb binary (repeat to compare builds)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--window", type=float, default=10, help="seconds to sample after the burst is sent")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # kb inherits it: a socket each way per request
    results = [burst(os.path.abspath(kb), args.requests, args.window) for kb in args.kb]
    for result in results:
        print(f"{result['kb']}: {result['requests']} concurrent /readyz, hanging Ollama, {result['window_s']:g} s: "
              f"threads {result['threads_before']} -> peak {result['threads_peak']}; "
              f"RSS {result['rss_before_mib']:.1f} -> peak {result['rss_peak_mib']:.1f} MiB (HWM {result['hwm_mib']:.1f}); "
              f"Ollama connections {result['ollama_connections']} (at once {result['ollama_connections_at_once']}); "
              f"answered {result['answered']} {result['statuses']}")


if __name__ == "__main__":
    main()
