#!/usr/bin/env python3
"""kb's MCP server driven by the official MCP Python SDK, over stdio (`kb mcp`) and streamable HTTP (`kb serve` /mcp).

Builds a small knowledge base with the hash embedder (offline, deterministic), then for each transport: connects
(the SDK's default discovery probe, falling back to initialize, and the plain initialize handshake), lists tools,
resources and templates, calls every tool, reads a resource, and checks that bad arguments come back as a tool error
(isError) while the server keeps answering. Over HTTP it also checks the read token and the Origin check.

    python3 Scripts/mcp_test.py --kb .build/debug/kb      (needs the `mcp` package; Scripts/test makes a venv)

Exits non-zero on the first failure; prints `N passed, 0 failed` at the end.
"""
import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from mcp import Client, StdioServerParameters

RUNBOOKS = {
    "platform/disk-full.md": """---
service: linux
severity: 2
---
# Disk full on a host
## Diagnosis
Run `df -h` to find the full filesystem, then `du -xh --max-depth=1 /var | sort -h` to find what grew.
## Mitigation
Rotate and compress logs with logrotate; vacuum the journal with `journalctl --vacuum-size=500M`.
""",
    "databases/postgres-replication-lag.md": """---
service: postgres
severity: 1
---
# PostgreSQL replication lag
## Diagnosis
Compare `pg_current_wal_lsn()` on the primary with `pg_last_wal_replay_lsn()` on the replica.
## Mitigation
Check the replica's disk I/O and network; restart the WAL receiver if it is stuck.
""",
    "networking/tls certificate expiry.md": """# TLS certificate expiry
## Renew
Run `certbot renew` and reload nginx with `systemctl reload nginx`.
""",
}

passed = 0


def check(condition, what):
    global passed
    if not condition:
        raise AssertionError(what)
    passed += 1


def text_of(result):
    return "".join(part.text for part in result.content if getattr(part, "type", "") == "text")


async def exercise(client, label):
    """Every tool, a resource, and bad arguments, through one connected client."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    check(set(tools) == {"search_runbooks", "get_runbook", "list_runbooks"}, f"{label}: tools are {sorted(tools)}")
    search_schema = tools["search_runbooks"].input_schema
    check(search_schema["required"] == ["question"], f"{label}: search schema requires question")
    check(tools["search_runbooks"].annotations.read_only_hint is True, f"{label}: tools are read-only")

    found = await client.call_tool("search_runbooks", {"question": "the disk is full, what grew?", "k": 2})
    check(not found.is_error, f"{label}: search failed: {text_of(found)}")
    results = found.structured_content["results"]
    check(results and results[0]["path"] == "platform/disk-full.md", f"{label}: search found {results}")
    first = results[0]
    check(first["number"] == 1 and len(first["lines"]) == 2 and "score" in first and first["heading"],
          f"{label}: a passage has number, lines, score, heading: {first}")
    check("[1] platform/disk-full.md" in text_of(found), f"{label}: the text cites [1]")

    filtered = await client.call_tool("search_runbooks", {"question": "replica lag disk", "where": {"service": "postgres"}})
    check(all(r["path"].startswith("databases/") for r in filtered.structured_content["results"]),
          f"{label}: where filters by metadata")
    keyword = await client.call_tool("search_runbooks", {"question": "certbot", "mode": "keyword", "path_prefix": "networking/"})
    check([r["path"] for r in keyword.structured_content["results"]] == ["networking/tls certificate expiry.md"],
          f"{label}: keyword search with a path prefix")
    uncovered = await client.call_tool("search_runbooks", {"question": "quarterly marketing budget forecast"})
    check(not uncovered.is_error and uncovered.structured_content["results"] == [] and "do not appear to cover"
          in text_of(uncovered), f"{label}: an uncovered question is refused: {text_of(uncovered)}")

    runbook = await client.call_tool("get_runbook", {"path": "databases/postgres-replication-lag.md"})
    check(not runbook.is_error, f"{label}: get_runbook failed: {text_of(runbook)}")
    sections = runbook.structured_content["sections"]
    check([s["heading"].split(" › ")[-1] for s in sections][-2:] == ["Diagnosis", "Mitigation"],
          f"{label}: sections {[s['heading'] for s in sections]}")
    check("pg_last_wal_replay_lsn" in text_of(runbook), f"{label}: get_runbook gives the whole text")
    by_id = await client.call_tool("get_runbook", {"id": runbook.structured_content["id"]})
    check(by_id.structured_content["path"] == "databases/postgres-replication-lag.md", f"{label}: get_runbook by id")

    listed = await client.call_tool("list_runbooks", {})
    check(listed.structured_content["total"] == 3, f"{label}: list_runbooks total {listed.structured_content}")
    prefix = await client.call_tool("list_runbooks", {"path_prefix": "platform/", "where": {"severity": 2}})
    check([r["path"] for r in prefix.structured_content["runbooks"]] == ["platform/disk-full.md"],
          f"{label}: list_runbooks filters")

    resources = (await client.list_resources()).resources
    uris = sorted(str(r.uri) for r in resources)
    check("kb://runbook/networking/tls%20certificate%20expiry.md" in uris, f"{label}: resources {uris}")
    templates = (await client.list_resource_templates()).resource_templates
    check([t.uri_template for t in templates] == ["kb://runbook/{path}"], f"{label}: resource templates")
    read = await client.read_resource("kb://runbook/networking/tls%20certificate%20expiry.md")
    check("certbot renew" in read.contents[0].text and read.contents[0].mime_type == "text/markdown",
          f"{label}: read a resource")

    # Bad arguments: a tool error naming what was wrong, and the server keeps answering.
    bad = [
        ("search_runbooks", {}, "\"question\" is required"),
        ("search_runbooks", {"question": "disk", "k": 0}, "\"k\" must be at least 1"),
        ("search_runbooks", {"question": "disk", "k": "five"}, "\"k\" must be an integer"),
        ("search_runbooks", {"question": "disk", "mode": "fuzzy"}, "\"mode\" must be one of"),
        ("search_runbooks", {"question": "disk", "colour": "red"}, "unknown argument \"colour\""),
        ("search_runbooks", {"question": "disk", "where": {"tags": ["a"]}}, "\"where.tags\" must be"),
        ("get_runbook", {}, "give \"path\" or \"id\""),
        ("get_runbook", {"path": "no/such.md"}, "no runbook has the path no/such.md"),
        ("list_runbooks", {"limit": 9999}, "\"limit\" must be at most 500"),
        ("drop_tables", {}, "there is no tool \"drop_tables\""),
    ]
    for name, arguments, message in bad:
        result = await client.call_tool(name, arguments)
        check(result.is_error is True and message in text_of(result),
              f"{label}: {name}({arguments}) should be a tool error saying {message!r}, got {text_of(result)!r}")
    again = await client.call_tool("search_runbooks", {"question": "logrotate"})
    check(not again.is_error, f"{label}: the server still answers after bad calls")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url, body, headers):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json, "
                                              "text/event-stream", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", default=".build/debug/kb")
    args = parser.parse_args()
    kb = os.path.abspath(args.kb)
    work = tempfile.mkdtemp(prefix="kb-mcp-test-")
    server = None
    try:
        for path, text in RUNBOOKS.items():
            os.makedirs(os.path.join(work, "runbooks", os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(work, "runbooks", path), "w") as handle:
                handle.write(text)
        db = os.path.join(work, "kb.sqlite")
        subprocess.run([kb, "ingest", "--db", db, "--embedder", "hash", os.path.join(work, "runbooks")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        stdio = StdioServerParameters(command=kb, args=["mcp", "--db", db, "--log-level", "warning"],
                                      env={"PATH": os.environ.get("PATH", ""), "HOME": work})
        for mode in ("auto", "legacy"):
            async with Client(stdio, mode=mode) as client:
                check(client.server_info.name == "kb", "stdio: server name")
                await exercise(client, f"stdio/{mode}")
        print(f"stdio: ok ({passed} checks)")

        port = free_port()
        log = open(os.path.join(work, "serve.log"), "w")
        server = subprocess.Popen([kb, "serve", "--db", db, "--port", str(port), "--read-token", "reader"],
                                  stdout=log, stderr=log, env={**os.environ, "KB_API_TOKEN": "writer"})
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("kb serve did not start; see " + log.name)
                await asyncio.sleep(0.05)

        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                      "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                 "clientInfo": {"name": "t", "version": "1"}}}
        status, _ = post(base + "/mcp", initialize, {})
        check(status == 401, f"http: no token is 401, got {status}")
        status, _ = post(base + "/mcp", initialize, {"Authorization": "Bearer wrong"})
        check(status == 401, f"http: a wrong token is 401 (RFC 6750 invalid_token), got {status}")
        status, _ = post(base + "/mcp", initialize, {"Authorization": "Bearer reader", "Origin": "http://evil.example"})
        check(status == 403, f"http: a foreign Origin is refused, got {status}")
        status, body = post(base + "/mcp", initialize, {"Authorization": "Bearer reader"})
        check(status == 200 and json.loads(body)["result"]["serverInfo"]["name"] == "kb", f"http: initialize {body}")

        import httpx2
        for mode in ("auto", "legacy"):
            async with httpx2.AsyncClient(headers={"Authorization": "Bearer reader"}, timeout=30) as http:
                from mcp.client.streamable_http import streamable_http_client
                async with Client(streamable_http_client(base + "/mcp", http_client=http), mode=mode) as client:
                    check(client.server_info.name == "kb", "http: server name")
                    await exercise(client, f"http/{mode}")
        print(f"http: ok ({passed} checks)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print(f"mcp: {passed} passed, 0 failed")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except AssertionError as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        print(f"mcp: {passed} passed, 1 failed")
        sys.exit(1)
