#!/usr/bin/env python3
"""`kb chat` in a real pseudo-terminal: line editing, history, /help, Ctrl-C during an answer and at the prompt.

    python3 Scripts/chat_pty_test.py [--kb .build/debug/kb] [--ollama-python /tmp/venv/bin/python]

It starts ../shared/tools/ollama-minilm as a slow streaming Ollama (tokens 150 ms apart, so an answer is still
streaming when Ctrl-C arrives), ingests Corpus/platform with the hash embedder, runs `kb chat` on a pty (python's
pty module) and types into it as a person would: keys are bytes written to the pty's master side, and every check
waits for the text it expects (bounded), never for a fixed time. Every process it starts is stopped.
"""
import argparse
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEFT, UP, HOME = b"\x1b[D", b"\x1b[A", b"\x1b[H"
# The editor drawing an empty prompt: only printed once kb chat waits for the next line.
PROMPT = rb"\r> \x1b\[K\r\x1b\[2C"
ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]|\r")


def fail(message):
    print(f"chat pty test: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"  ok  {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Chat:
    """`kb chat` on a pty: what it printed so far, and waits for more."""

    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        self.output = b""
        self.mark = 0

    def send(self, data):
        os.write(self.fd, data)

    def read_some(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the pty
            return None
        if not chunk:
            return None
        self.output += chunk
        return True

    def expect(self, pattern, what, seconds=30):
        """Waits until `pattern` (bytes, regex) appears after the last match; returns the text up to it."""
        deadline = time.monotonic() + seconds
        regex = re.compile(pattern)
        while True:
            match = regex.search(self.output, self.mark)
            if match:
                seen = self.output[self.mark:match.end()]
                self.mark = match.end()
                return seen
            left = deadline - time.monotonic()
            if left <= 0 or self.read_some(min(left, 0.5)) is None and not regex.search(self.output, self.mark):
                tail = ANSI.sub(b"", self.output[-1500:]).decode("utf-8", "replace")
                fail(f"timed out waiting for {what} ({pattern!r}); the screen ends with:\n{tail}")

    def wait_exit(self, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.read_some(0.2)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        fail("kb chat did not exit")

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", default=os.path.join(ROOT, ".build", "debug", "kb"))
    parser.add_argument("--ollama-python", help="python of the ollama-minilm venv (default $KB_TEST_VENV/bin/python)")
    args = parser.parse_args()
    kb = os.path.abspath(args.kb)
    tool = os.path.join(ROOT, "..", "shared", "tools", "ollama-minilm")
    python = args.ollama_python or os.path.join(os.environ.get("KB_TEST_VENV", "/tmp/kb-test-embenv"), "bin", "python")
    if not os.path.exists(python):
        venv = os.path.dirname(os.path.dirname(python))
        if subprocess.run(["bash", os.path.join(tool, "setup.sh"), venv], timeout=1200).returncode != 0:
            fail(f"could not set up {tool} in {venv}")
    signal.signal(signal.SIGALRM, lambda *_: fail("the whole test took longer than 5 minutes"))
    signal.alarm(300)

    work = tempfile.mkdtemp(prefix="kb-chat-pty-")
    port = free_port()
    stub = subprocess.Popen([python, os.path.join(tool, "server.py"), "--quiet", "--port", str(port), "--threads", "1",
                             "--any-chat-model", "--token-delay-ms", "150"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    chat = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/version", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or stub.poll() is not None:
                    fail("the Ollama stand-in did not start")
                time.sleep(0.2)
        db = os.path.join(work, "kb.sqlite")
        env = dict(os.environ, OLLAMA_HOST=f"http://127.0.0.1:{port}", KB_LOG_LEVEL="warning", TERM="xterm")
        ingest = subprocess.run([kb, "ingest", "--db", db, "--embedder", "hash", os.path.join(ROOT, "Corpus", "platform")],
                                env=env, capture_output=True, text=True, timeout=300)
        if ingest.returncode != 0:
            fail(f"kb ingest failed:\n{ingest.stdout}{ingest.stderr}")

        chat = Chat([kb, "chat", "--db", db, "--chat-model", "llama3.2"], env)
        chat.expect(rb"/help for commands", "the banner")
        chat.expect(PROMPT, "the prompt")

        print("/help")
        chat.send(b"/help\r")
        seen = chat.expect(rb"Ctrl-C stops an answer\.", "the help text")
        check(all(c in seen for c in (b"/sources", b"/reset", b"/quit", b"/help")), "/help lists /help, /sources, /reset and /quit")
        chat.expect(PROMPT, "the prompt")

        print("editing: arrows, Home, Ctrl-W, Ctrl-U")
        # Typed with mistakes and fixed with the keys: "dsk ful" -> "disk full on a host: what now?"
        chat.send(b"wrong words\x17\x17\x15")  # Ctrl-W twice then Ctrl-U: nothing left
        chat.send(b"sk full on a host: what now?" + HOME + b"di")
        chat.send(b"\x05" + LEFT * 4 + b"\x7f" * 5 + b"is the first step ")  # Ctrl-E, ←×4, ⌫×5 ("what ")
        chat.send(b"\r")
        seen = chat.expect(rb"Sources:", "the sources of the first answer")
        screen = ANSI.sub(b"", seen)
        check(b"disk full on a host: is the first step now?" in screen,
              f"the edited line is what was asked: {screen[-600:]!r}")
        chat.expect(rb"\[extractive stub", "the first answer")
        chat.expect(PROMPT, "the prompt after the first answer", seconds=60)

        print("Ctrl-C during an answer stops it and keeps the session")
        chat.send(UP)
        chat.expect(rb"is the first step now\?", "the last question recalled with ↑")
        chat.send(HOME + b"\x0b" + b"how do I find deleted files still held open?\r")  # Home, Ctrl-K, retype
        chat.expect(rb"\[extractive stub", "the second answer starting")
        started = time.monotonic()
        chat.send(b"\x03")
        chat.expect(rb"\(answer stopped\)", "the answer to stop")
        check(time.monotonic() - started < 5, "Ctrl-C stopped the answer at once")
        chat.expect(PROMPT, "the prompt after Ctrl-C")
        check(os.waitpid(chat.pid, os.WNOHANG) == (0, 0), "kb chat is still running")
        chat.send(b"/sources\r")
        seen = chat.expect(rb"\[1\] [^\r\n]*\.md", "the sources of the stopped answer")
        check(b"(no sources yet)" not in seen, f"/sources shows the stopped answer's sources ({seen.splitlines()[-1]!r})")

        print("history: ↑ three times (past /sources and the stopped question) gives the first question again")
        chat.send(UP * 3)
        chat.expect(rb"is the first step now\?", "the first question recalled")
        chat.send(b"\x15" + b"and what about inodes?\r")  # Ctrl-U: a follow-up instead
        chat.expect(rb"\[extractive stub", "the follow-up answer")
        seen = chat.expect(PROMPT, "the prompt after the follow-up", seconds=60)
        check(b"(answer stopped)" not in seen, "the follow-up is answered in full")

        print("Ctrl-C on a typed line clears it; Ctrl-C at the empty prompt leaves")
        chat.send(b"never sent\x03")
        chat.expect(rb"\^C", "the cleared line")
        chat.send(b"\x03")
        code = chat.wait_exit()
        check(code == 0, f"kb chat exited with status {code}")
        chat = None
        print("chat pty test: PASS")
    finally:
        if chat is not None:
            chat.kill()
        stub.send_signal(signal.SIGTERM)
        try:
            stub.wait(timeout=10)
        except subprocess.TimeoutExpired:
            stub.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
