"""A live `kb serve` for the Python test steps: the ollama-minilm stand-in as its Ollama, a small indexed corpus.

    with LiveKB(kb=".build/debug/kb", embedder="hash") as live:
        live.base          # http://127.0.0.1:PORT of kb serve
        live.ollama        # http://127.0.0.1:PORT of the stand-in

Ports are free ones read back from the OS; readiness is polled, never slept for. Every process it starts is
stopped at the end (SIGTERM, then SIGKILL after 15 s); every wait is bounded. Failures raise SystemExit(1).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "..", "shared", "tools", "ollama-minilm")
CHAT_MODEL = "extractive:latest"


def fail(name, message):
    print(f"{name}: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds, process):
    """Polls `url` until it answers 2xx, the process exits, or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    return False


class LiveKB:
    """The stand-in Ollama, a knowledge base ingested from Corpus/<corpus>, and `kb serve` on it."""

    def __init__(self, kb, name, embedder="hash", corpus=("platform",), serve_args=(), stub_args=(), env=None):
        self.kb = os.path.abspath(kb)
        self.name = name
        self.embedder = embedder
        self.corpus = corpus
        self.serve_args = list(serve_args)
        self.stub_args = list(stub_args)
        self.extra_env = env or {}
        self.running = []
        self.work = tempfile.mkdtemp(prefix=f"kb-{name}-")

    def stub_python(self):
        python = os.path.join(os.environ.get("KB_TEST_VENV", "/tmp/kb-test-embenv"), "bin", "python")
        if not os.path.exists(os.path.join(TOOL, "server.py")):
            fail(self.name, f"the Ollama stand-in {TOOL}/server.py is missing")
        if not os.path.exists(python):
            venv = os.path.dirname(os.path.dirname(python))
            if subprocess.run(["bash", os.path.join(TOOL, "setup.sh"), venv], timeout=1200).returncode != 0:
                fail(self.name, f"could not set up {TOOL} in {venv}")
        return python

    def start(self, label, argv, env=None):
        log = open(os.path.join(self.work, f"{label}.log"), "w")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.running.append((process, log))
        return process

    def log(self, label):
        with open(os.path.join(self.work, f"{label}.log")) as f:
            return f.read()[-3000:]

    def __enter__(self):
        if not os.access(self.kb, os.X_OK):
            fail(self.name, f"{self.kb} is not an executable kb binary (build it first: swift build)")
        ollama_port, kb_port = free_port(), free_port()
        self.ollama = f"http://127.0.0.1:{ollama_port}"
        stub = self.start("ollama", [self.stub_python(), os.path.join(TOOL, "server.py"), "--quiet", "--port",
                                     str(ollama_port), "--threads", "1"] + self.stub_args)
        if not wait_http(f"{self.ollama}/api/version", 60, stub):
            fail(self.name, f"the Ollama stand-in did not start:\n{self.log('ollama')}")
        corpus = os.path.join(self.work, "corpus")
        for part in self.corpus:
            shutil.copytree(os.path.join(ROOT, "Corpus", part), os.path.join(corpus, part))
        self.db = os.path.join(self.work, "kb.sqlite")
        self.env = dict(os.environ, OLLAMA_HOST=self.ollama, KB_LOG_LEVEL="warning", **self.extra_env)
        for name in ("KB_API_TOKEN", "KB_READ_TOKEN"):
            if name not in self.extra_env:
                self.env.pop(name, None)
        ingest = subprocess.run([self.kb, "ingest", "--db", self.db, "--embedder", self.embedder, corpus], env=self.env,
                                capture_output=True, text=True, timeout=600)
        if ingest.returncode != 0:
            fail(self.name, f"kb ingest failed:\n{ingest.stdout}{ingest.stderr}")
        server = self.start("kb-serve", [self.kb, "serve", "--db", self.db, "--port", str(kb_port), "--chat-model",
                                         CHAT_MODEL] + self.serve_args, env=self.env)
        self.base = f"http://127.0.0.1:{kb_port}"
        if not wait_http(f"{self.base}/healthz", 60, server):
            fail(self.name, f"kb serve did not start:\n{self.log('kb-serve')}")
        return self

    def __exit__(self, *exc):
        for process, log in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            log.close()
        self.running = []
        if exc[0] is None:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"{self.name}: logs kept in {self.work}", file=sys.stderr)
        return False
