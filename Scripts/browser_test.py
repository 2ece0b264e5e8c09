#!/usr/bin/env python3
"""Browser test of the web page of `kb serve` (GET /), in headless Chromium driven by selenium.

    python3 Scripts/browser_test.py [--kb .build/debug/kb] [--screenshots docs] [--runs 5]

It installs what it needs: Debian's chromium and chromium-driver (apt-get, as root) and selenium from PyPI into a venv
($KB_BROWSER_VENV, default /tmp/kb-browser-venv), then re-runs itself in that venv. If Chromium cannot be installed it
fails; it never skips. It starts ../shared/tools/ollama-minilm as a streaming Ollama (--any-chat-model, tokens 30 ms
apart; its chat stub answers by quoting the context), ingests Corpus/platform plus a malicious runbook, starts
`kb serve` with KB_API_TOKEN, and drives the page: asking (Enter) and watching tokens arrive, opening a source,
following citations (mouse and keyboard), a refusal, API errors, uploading and deleting a document, the XSS
cases (<script>, <img onerror>, javascript: links in a runbook and in the answer), conversations with follow-ups
(history sent, kept in localStorage, listed, switched, deleted), the settings (mode, k, template, chat model from
/v1/models), document search and filters (path, source, metadata), the whole runbook opened at the cited lines, copy
buttons on code blocks, and relative runbook links opened in the page. At the end it compares time to
first token and to the whole answer through the page with the same question through `curl -N`.
Every process it starts is stopped; every wait is bounded.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SELENIUM = "selenium==4.51.0"
TOKEN = "browser-test-token-1f0c"
QUESTION = "disk full on a host: what is the mitigation?"
XSS_QUESTION = "zebra quokka failover pager details: what do I check first?"
MALICIOUS_RUNBOOK = """# Zebra quokka failover

## Procedure

The zebra quokka failover starts with <script>window.__kbXss='script';alert(1)</script> on the primary.
When the zebra quokka pager fires, check <img src=x onerror="window.__kbXss='img';alert(2)"> before anything else.
For zebra quokka failover details read [the failover guide](javascript:window.__kbXss='link';alert(3)) first.
Zebra quokka failover runs `failover --promote` as **root**, see [the site](https://runbooks.example.com/zq) for more.
"""
LINKS_RUNBOOK = """# Walrus link index

## Related runbooks

For walrus storage trouble read [the disk runbook](../platform/disk-full.md) first, and [the walrus archive](./walrus-archive.md) after.
The [vendor page](https://vendor.example.com/walrus) has the rest.
"""
FOLLOW_UP = "and what about the deleted files still held open?"


def fail(message):
    print(f"browser test: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------------------------- setup

def ensure_chromium():
    """Debian's chromium and chromium-driver, installed with apt-get when missing."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    if os.geteuid() != 0:
        fail("chromium and chromium-driver are missing and this is not root: apt-get install chromium chromium-driver")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    policy = subprocess.run(["apt-cache", "policy", "chromium"], capture_output=True, text=True, timeout=60).stdout
    if "Candidate: (none)" in policy or "Candidate:" not in policy:
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=600, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], env=env,
                            capture_output=True, text=True, timeout=1200)
    if result.returncode != 0 or not (shutil.which("chromium") and shutil.which("chromedriver")):
        fail(f"could not install chromium and chromium-driver with apt-get:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def ensure_selenium():
    """Runs this script again inside a venv holding selenium, unless selenium is importable already."""
    try:
        import selenium  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("KB_BROWSER_REEXEC"):
        fail("selenium is still missing inside the venv")
    venv = os.environ.get("KB_BROWSER_VENV", "/tmp/kb-browser-venv")
    python = os.path.join(venv, "bin", "python")
    ready = os.path.exists(python) and subprocess.run([python, "-c", "import selenium"], capture_output=True).returncode == 0
    if not ready:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
        if subprocess.run([python, "-m", "pip", "install", "-q", SELENIUM], timeout=900).returncode != 0:
            fail(f"could not install {SELENIUM} from PyPI into {venv}")
    os.environ["KB_BROWSER_REEXEC"] = "1"
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=5, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def wait_http(url, seconds, process):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            get(url, timeout=2)
            return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    return False


class Processes:
    """Starts processes with their output in log files, and stops exactly those."""

    def __init__(self, directory):
        self.directory = directory
        self.running = []

    def start(self, name, argv, env=None):
        log = open(os.path.join(self.directory, f"{name}.log"), "w")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.running.append((name, process, log))
        return process

    def log(self, name):
        with open(os.path.join(self.directory, f"{name}.log")) as f:
            return f.read()[-3000:]

    def stop_all(self):
        for name, process, log in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            log.close()
        self.running = []


# ---------------------------------------------------------------------------------------------- browser checks

class Page:
    """The driver plus the small waits and queries the checks use."""

    def __init__(self, driver, base):
        from selenium.webdriver.support.ui import WebDriverWait
        self.driver, self.base = driver, base
        self.WebDriverWait = WebDriverWait

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, what, condition, seconds=30):
        try:
            return self.WebDriverWait(self.driver, seconds, poll_frequency=0.05).until(lambda _: condition())
        except Exception as error:  # TimeoutException carries no useful text
            fail(f"timed out after {seconds} s waiting for {what} ({type(error).__name__})")

    def find(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def no_alert(self, where):
        from selenium.common.exceptions import NoAlertPresentException
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            fail(f"an alert opened ({text!r}) {where}")
        except NoAlertPresentException:
            pass

    def ask(self, question, watch=True):
        """Types the question, presses Enter, and samples the answer's length until it is done."""
        from selenium.webdriver.common.keys import Keys
        box = self.find("#question")
        box.clear()
        box.send_keys(question)
        box.send_keys(Keys.ENTER)
        samples = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state, length = self.js("const a = document.getElementById('answer');"
                                    "return [a.dataset.state, a.textContent.length];")
            samples.append((time.monotonic(), state, length))
            if state in ("done", "error", "stopped") and len(samples) > 1:
                break
            time.sleep(0.02 if watch else 0.1)
        else:
            fail(f"the answer to {question!r} did not finish within 60 s")
        return samples

    def answer_timings(self):
        return self.js("""const a = document.getElementById('answer');
            const m = (n) => { const e = performance.getEntriesByName(n, 'measure'); return e.length ? e[0].duration : null; };
            return {first_token: m('kb-first-token'), total: m('kb-answer'),
                    data_first: parseFloat(a.dataset.firstTokenMs), data_total: parseFloat(a.dataset.totalMs)};""")


def check(condition, message):
    if not condition:
        fail(message)
    print(f"  ok  {message}")


def renderer_checks(page):
    """The Markdown renderer alone, on model-like output: structure for good input, text for hostile input."""
    cases = page.js("""
        const out = {};
        const html = (md, cites) => { const d = document.createElement('div'); d.append(kb.renderMarkdown(md, cites)); return d; };
        let d = html('Steps:\\n1. run `df -h`\\n2. **rotate** logs\\n   - nested *item*\\n\\n```bash\\nrm -f /tmp/<x>\\n```\\nSee [docs](https://example.com/a_(b)) and https://example.org/x.');
        out.ol = d.querySelectorAll('ol > li').length; out.nested = d.querySelectorAll('ol li ul li em').length;
        out.code = d.querySelector('p code, li code') ? d.querySelector('li code').textContent : null;
        out.strong = d.querySelector('strong') && d.querySelector('strong').textContent;
        out.pre = d.querySelector('pre code') && d.querySelector('pre code').textContent;
        out.links = [...d.querySelectorAll('a')].map((a) => a.href);
        out.linkRel = d.querySelector('a').rel;
        const hostile = ['[x](javascript:alert(1))', '[x](JaVaScRiPt:alert(1))', '[x]( javascript:alert(1))',
                         '[x](java\\tscript:alert(1))', '[x](data:text/html,<script>alert(1)</script>)', '[x](vbscript:x)',
                         '[x](//evil.example/a)', '[x](/v1/documents)', '<javascript:alert(1)>', '![i](javascript:alert(1))',
                         '<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '<a href="javascript:alert(1)">a</a>',
                         '<svg onload=alert(1)>', '`<b>code</b>`', '[<img src=x onerror=alert(1)>](https://example.com)'];
        out.hostile = hostile.map((md) => { const h = html(md); return {
            md, elements: [...h.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
            hrefs: [...h.querySelectorAll('a')].map((a) => a.getAttribute('href')),
            attrs: [...h.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)),
            text: h.textContent }; });
        d = html('Use logrotate [1] and [2, 9] then [3-4].', [1, 2, 3]);
        out.cites = [...d.querySelectorAll('a.cite')].map((a) => a.getAttribute('href'));
        out.invalid = [...d.querySelectorAll('.cite-invalid')].map((s) => s.textContent);
        return out;""")
    check(cases["ol"] == 2 and cases["nested"] == 1, "Markdown: an ordered list with a nested list")
    check(cases["code"] == "df -h" and cases["strong"] == "rotate", "Markdown: inline code and bold")
    check(cases["pre"] == "rm -f /tmp/<x>", "Markdown: a fenced code block keeps its text exactly")
    check(cases["links"] == ["https://example.com/a_(b)", "https://example.org/x"], f"Markdown: http(s) links only ({cases['links']})")
    check("noopener" in cases["linkRel"] and "noreferrer" in cases["linkRel"], "links open with rel=noopener noreferrer")
    allowed = {"span", "code", "a", "p", "br"}
    for case in cases["hostile"]:
        bad = [e for e in case["elements"] if e not in allowed]
        check(not bad and all(h is None or h.startswith("https://") for h in case["hrefs"])
              and not any(a.startswith("on") or a in ("src", "style") for a in case["attrs"]),
              f"hostile Markdown stays text: {case['md']!r} -> {case['elements']} {case['hrefs']}")
    check(cases["cites"] == ["#source-1", "#source-2", "#source-3"] and cases["invalid"] == ["9", "4"],
          f"citations link to their source; 9 and 4, with no such source, are flagged ({cases['cites']}, {cases['invalid']})")
    more = page.js("""
        const html = (md) => { const d = document.createElement('div'); d.append(kb.renderMarkdown(md)); return d; };
        let d = html('```sh\\ndf -h /var\\n```');
        const out = {copy: [...d.querySelectorAll('.code-block > button.copy-code')].length,
                     copyType: d.querySelector('button.copy-code') && d.querySelector('button.copy-code').type};
        d = html('See [dns](../network/dns.md), [flush](dns.md#flush), [abs](/etc/x.md), [proto](//evil.example/a.md), ' +
                 '[js](javascript:alert(1)//x.md), [img](x.png), ![pic](a.md).');
        out.targets = [...d.querySelectorAll('a.runbook-link')].map((a) => a.dataset.target);
        out.blocked = [...d.querySelectorAll('.blocked-link')].length;
        out.hrefs = [...d.querySelectorAll('a')].map((a) => a.getAttribute('href'));
        out.resolved = [kb.resolvePath('platform/disk-full.md', '../network/dns.md'), kb.resolvePath('a/b.md', './c.md'),
                        kb.resolvePath('a.md', '../../../x.md')];
        d = html('| Path | Usual cause |\\n|---|--:|\\n| `/var/log` | logrotate `a|b` |\\n| <img src=x onerror=alert(1)> | x \\\\| y |\\n\\nafter');
        out.table = {heads: [...d.querySelectorAll('thead th')].map((c) => c.textContent),
                     cells: [...d.querySelectorAll('tbody td')].map((c) => c.textContent),
                     align: d.querySelector('th[data-align="right"]') !== null, img: d.querySelectorAll('img').length,
                     after: d.querySelector('.table-wrap + p') && d.querySelector('.table-wrap + p').textContent};
        return out;""")
    check(more["copy"] == 1 and more["copyType"] == "button", "Markdown: a fenced code block gets a copy button")
    check(more["targets"] == ["../network/dns.md", "dns.md"] and more["blocked"] == 5 and set(more["hrefs"]) == {"#runbook"},
          f"relative runbook links become in-page links; absolute, protocol-relative, javascript: and image links stay text {more}")
    check(more["resolved"] == ["network/dns.md", "a/c.md", "x.md"], f"relative links resolve against the document's path {more['resolved']}")
    table = more["table"]
    check(table["heads"] == ["Path", "Usual cause"] and table["cells"] == ["/var/log", "logrotate a|b", "<img src=x onerror=alert(1)>", "x | y"]
          and table["align"] and table["img"] == 0 and table["after"] == "after",
          f"Markdown: a table, with | inside code and escaped, alignment, and markup in a cell as text {table}")


def api_json(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def record_ask_bodies(page):
    """Wraps fetch so each /v1/ask request body is kept in window.__kbBodies (the request still goes out)."""
    page.js("""window.__kbBodies = []; const real = window.fetch;
        window.fetch = (url, init) => { if (String(url).includes('/v1/ask')) window.__kbBodies.push(JSON.parse(init.body));
                                         return real(url, init); };""")


def conversations(page):
    return page.js("return JSON.parse(localStorage.getItem('kb.conversations') || '[]')")


def daily_use_checks(page, driver, base, shots):
    """Conversations, settings, the runbook view, copy buttons, relative links, document search and filters."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    print("conversations: follow-ups with history, kept in the browser, listed, switched, deleted")
    page.find("#nav-ask").click()
    page.find("#new-conversation").click()
    check(not page.find_all("#thread > li") and not page.find("#answer-section").is_displayed(), "New conversation clears the thread")
    before = len(conversations(page))
    record_ask_bodies(page)
    page.ask(QUESTION, watch=False)
    first_answer = page.find("#answer").text
    check(page.find("#question").get_attribute("value") == "" and QUESTION in page.find("#answer-question").text,
          "the question moves from the box to the answer")
    page.ask(FOLLOW_UP, watch=False)
    bodies = page.js("return window.__kbBodies")
    check(len(bodies) == 2 and "history" not in bodies[0], "the first question goes without history")
    history = bodies[1].get("history") or []
    check([m["role"] for m in history] == ["user", "assistant"] and history[0]["content"] == QUESTION
          and history[1]["content"][:40] == page.js("return JSON.parse(localStorage.getItem('kb.conversations'))[0].turns[0].answer")[:40],
          "the follow-up sends the earlier question and answer as history, as kb chat does")
    turns = page.find_all("#thread > li.turn")
    check(len(turns) == 1 and QUESTION in turns[0].text and FOLLOW_UP in page.find("#answer-question").text,
          "the earlier turn stays above the new answer")
    check(first_answer[:30] in turns[0].text, "the earlier answer is kept in the thread")
    saved = conversations(page)
    ours = [c for c in saved if [t["question"] for t in c["turns"]] == [QUESTION, FOLLOW_UP]]
    check(len(saved) == before + 1 and len(ours) == 1 and ours[0]["turns"][1]["state"] == "done",
          "the conversation is saved in localStorage with both turns")
    page.find("#new-conversation").click()
    page.ask("kafka consumer lag is growing: what do I check?", watch=False)
    check(len(conversations(page)) == before + 2 and page.find("#conversation-count").text == str(before + 2),
          "a second conversation is listed")
    page.find("#conversations-panel summary").click()
    page.find(f'#conversations button.conversation-open[data-id="{ours[0]["id"]}"]').click()
    page.wait("the first conversation", lambda: FOLLOW_UP in page.find("#answer-question").text)
    check(len(page.find_all("#thread > li.turn")) == 1 and page.js("return document.getElementById('answer').dataset.state") == "done"
          and len(page.find_all("#sources > li")) >= 1, "switching back shows its thread, its last answer and its sources")
    other = [c for c in conversations(page) if c["id"] != ours[0]["id"] and c["turns"][0]["question"].startswith("kafka")][0]
    page.find("#conversations-panel summary").click()
    page.find(f'#conversations button.conversation-delete[data-id="{other["id"]}"]').click()
    check(len(conversations(page)) == before + 1 and not page.find_all(f'#conversations li[data-id="{other["id"]}"]'),
          "deleting a conversation removes it from the list and from localStorage")
    driver.refresh()
    page.wait("the page script", lambda: page.js("return !!window.kb"))
    check(page.find("#conversation-count").text == str(before + 1), "conversations survive a reload")
    page.find("#conversations-panel summary").click()
    page.find(f'#conversations button.conversation-open[data-id="{ours[0]["id"]}"]').click()
    record_ask_bodies(page)
    page.ask("and the inodes?", watch=False)
    check(len(page.js("return window.__kbBodies")[0].get("history", [])) == 4, "a reopened conversation continues with its history")
    page.js("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(shots, "web-conversation.png"))

    print("settings: mode, k, template and chat model")
    page.find("#settings summary").click()
    models = [m["id"] for m in api_json(base, "GET", "/v1/models")["data"] if m["owned_by"] != "kb"]
    page.wait("the chat models", lambda: page.find("#setting-model").get_attribute("data-loaded") is not None)
    options = [o.get_attribute("value") for o in page.find_all("#setting-model option")][1:]
    check(options == models and models, f"the chat model list is the server's models {options}")
    Select(page.find("#setting-mode")).select_by_value("keyword")
    page.find("#setting-k").send_keys("3", Keys.TAB)
    Select(page.find("#setting-model")).select_by_value(models[0])
    page.find("#setting-template").send_keys("nope-template", Keys.TAB)
    record_ask_bodies(page)
    page.ask(QUESTION, watch=False)
    body = page.js("return window.__kbBodies")[0]
    check(body.get("mode") == "keyword" and body.get("k") == 3 and body.get("model") == models[0] and body.get("template") == "nope-template",
          f"the settings are sent with the question {dict((k, body.get(k)) for k in ('mode', 'k', 'model', 'template'))}")
    check("template" in page.find("#ask-error").text, f"an unknown template gets the API's error: {page.find('#ask-error').text!r}")
    page.find("#setting-template").clear()
    page.find("#setting-template").send_keys("answer", Keys.TAB)
    page.ask(QUESTION, watch=False)
    # k=3 retrieves three passages; the sections the ranked runbooks add to the context are sources too.
    expected = api_json(base, "POST", "/v1/query", {"question": QUESTION, "k": 3, "mode": "keyword"})["results"]
    retrieved = [r for r in expected if r.get("included", "retrieved") == "retrieved"]
    shown = len(page.find_all("#sources > li"))
    check(page.js("return document.getElementById('answer').dataset.state") == "done" and len(retrieved) == 3
          and shown == len(expected), f"k=3 gives three retrieved sources and the sections added to them ({shown} shown)")
    page.find("#setting-k").clear()
    page.find("#setting-k").send_keys("0", Keys.TAB)
    record_ask_bodies(page)
    page.find("#question").send_keys("anything", Keys.ENTER)
    check(page.js("return window.__kbBodies.length") == 0 and "1 to 100" in page.find("#ask-status").text
          and page.js("return document.activeElement.id") == "setting-k", "a bad k is refused in the page, with focus on it")
    page.find("#setting-k").clear()
    page.find("#setting-k").send_keys("4", Keys.TAB)
    driver.refresh()
    page.wait("the page script", lambda: page.js("return !!window.kb"))
    kept = page.js("return ['setting-mode', 'setting-k', 'setting-template', 'setting-model'].map((id) => document.getElementById(id).value)")
    check(kept == ["keyword", "4", "answer", models[0]], f"the settings survive a reload {kept}")
    page.js("localStorage.removeItem('kb.settings')")
    driver.refresh()
    page.wait("the page script", lambda: page.js("return !!window.kb"))

    print("the whole runbook at the cited lines; copy buttons")
    page.ask(QUESTION, watch=False)
    source = page.js("const s = document.getElementById('source-1'); return [s.querySelector('.path').textContent];")[0]
    page.find("#source-1 summary").click()
    button = page.find("#source-1 button.open-runbook")
    lines = [int(button.get_attribute("data-first")), int(button.get_attribute("data-last"))]
    button.click()
    page.wait("the runbook view", lambda: page.js("return document.getElementById('runbook-view').dataset.state") in ("shown", "error"))
    check(page.find("#runbook-view").is_displayed() and not page.find("#ask-view").is_displayed()
          and page.js("return document.getElementById('runbook-view').dataset.path") == source, f"the runbook view shows {source}")
    stored = api_json(base, "GET", "/v1/documents/by-path/" + source)
    check(len(page.find_all("#runbook-body .runbook-chunk")) == len(stored["chunks"]), f"all {len(stored['chunks'])} chunks of the runbook are shown")
    marked = page.js("""return [...document.querySelectorAll('#runbook-body .runbook-chunk.highlight')].map((c) => {
        const r = c.getBoundingClientRect(); return [Number(c.dataset.first), Number(c.dataset.last), r.top, r.bottom, window.innerHeight]; });""")
    check(marked and marked[0][0] <= lines[1] and marked[0][1] >= lines[0], f"the cited lines {lines} are highlighted {marked[:1]}")
    check(0 <= marked[0][2] < marked[0][4], "and scrolled into view")
    check(page.js("return document.activeElement.classList.contains('highlight')"), "focus moves to the cited lines")
    page.js("""window.__copied = []; navigator.clipboard.writeText = (text) => { window.__copied.push(text); return Promise.resolve(); };""")
    copy = page.find_all("#runbook-body button.copy-code")
    check(copy, f"{len(copy)} code blocks in the runbook have a copy button")
    expected = page.js("return arguments[0].parentElement.querySelector('pre code').textContent", copy[0])
    copy[0].click()
    page.wait("the copy", lambda: page.js("return window.__copied.length") == 1)
    check(page.js("return window.__copied[0]") == expected and copy[0].text == "Copied", "Copy puts the block's exact text on the clipboard")
    driver.save_screenshot(os.path.join(shots, "web-runbook.png"))
    page.find("#runbook-back").click()
    page.wait("the ask view", lambda: page.find("#ask-view").is_displayed())
    check(page.js("return document.getElementById('answer').dataset.state") == "done", "Back returns to the answer as it was")

    print("relative runbook links open the stored document")
    page.js("""const real = window.fetch; window.fetch = (url, init) => { window.fetch = real;
        const lines = [{type: 'sources', sources: [{number: 1, chunk_id: 1, path: 'security/walrus-links.md', heading: 'Related', score: 0.5,
                         text: 'x', lines: [1, 6]}]},
                       {type: 'token', text: 'Read [the disk runbook](../platform/disk-full.md) [1].'},
                       {type: 'done', citations: [{number: 1}], invalid_citations: [], refused: false, timings_ms: {}}];
        return Promise.resolve(new Response(lines.map((l) => JSON.stringify(l)).join('\\n') + '\\n', {status: 200})); };""")
    page.ask("walrus storage trouble", watch=False)
    links = page.find_all("#answer a.runbook-link")
    check(len(links) == 1 and not page.find_all("#answer .blocked-link"), "a relative link in the answer is a link, not flagged text")
    links[0].click()
    page.wait("the linked runbook", lambda: page.js("return document.getElementById('runbook-view').dataset.path") == "platform/disk-full.md")
    check(True, "it opens platform/disk-full.md (resolved against the citing source security/walrus-links.md)")
    page.find("#runbook-back").click()
    page.find("#nav-documents").click()
    page.wait("the documents", lambda: page.find_all('#documents > li[data-path="security/walrus-links.md"]'))
    page.find('#documents > li[data-path="security/walrus-links.md"] button.open-runbook').click()
    page.wait("the links runbook", lambda: page.js("return document.getElementById('runbook-view').dataset.path") == "security/walrus-links.md")
    check(len(page.find_all("#runbook-body a.runbook-link")) == 2 and len(page.find_all('#runbook-body a[href^="https://vendor"]')) == 1,
          "a runbook's relative links are in-page links; its external link keeps the safe treatment")
    page.find('#runbook-body a.runbook-link[data-target="../platform/disk-full.md"]').click()
    page.wait("the disk runbook", lambda: page.js("return document.getElementById('runbook-view').dataset.path") == "platform/disk-full.md")
    check(True, "following ../platform/disk-full.md from the runbook opens it")
    driver.back()
    page.wait("the documents view again", lambda: page.find("#docs-view").is_displayed())
    page.find('#documents > li[data-path="security/walrus-links.md"] button.open-runbook').click()
    page.wait("the links runbook", lambda: page.js("return document.getElementById('runbook-view').dataset.path") == "security/walrus-links.md")
    page.find('#runbook-body a.runbook-link[data-target="./walrus-archive.md"]').click()
    page.wait("the missing runbook", lambda: page.js("return document.getElementById('runbook-view').dataset.state") == "error")
    check("Not in the knowledge base" in page.find("#runbook-error").text and "security/walrus-archive.md" in page.find("#runbook-error").text,
          "a link to a runbook that is not stored says so")
    page.find("#runbook-back").click()
    page.wait("the documents view again", lambda: page.find("#docs-view").is_displayed())

    print("documents: search and filters by source and metadata")
    api_json(base, "POST", "/v1/documents", {"path": "team/storage-probe.md", "content": "# Storage probe\n\nCheck the array.\n",
                                             "metadata": {"team": "storage", "tier": 1}}, token=TOKEN)
    driver.refresh()  # the list and its sources as a new visitor sees them
    page.wait("the page script", lambda: page.js("return !!window.kb") and page.find_all("#documents > li"))
    listing = api_json(base, "GET", "/v1/documents?limit=1000")["documents"]
    page.find("#docs-filter").send_keys("disk")
    want = sorted(d["path"] for d in listing if "disk" in (d["path"] + d["title"] + json.dumps(d["metadata"])).lower())
    shown = lambda: sorted(page.js("return [...document.querySelectorAll('#documents > li')].map((e) => e.dataset.path)"))  # noqa: E731
    page.wait("the filtered list", lambda: shown() == want)
    check(want and "matching" in page.find("#docs-range").text, f"Find filters by path and title: {want}")
    page.find("#docs-filter").clear()
    page.find("#docs-meta").send_keys("team=storage")
    page.wait("the metadata filter", lambda: shown() == ["team/storage-probe.md"])
    check("team=storage" in page.find('#documents > li[data-path="team/storage-probe.md"]').text, "a metadata filter finds the document and shows its metadata")
    page.find("#docs-meta").clear()
    page.find("#docs-meta").send_keys("tier=1, team")
    page.wait("two metadata terms", lambda: shown() == ["team/storage-probe.md"])
    page.find("#docs-meta").clear()
    page.find("#docs-meta").send_keys("=storage")
    page.wait("the filter error", lambda: page.find("#docs-error").is_displayed())
    check("no key" in page.find("#docs-error").text, "a metadata filter without a key is explained")
    page.find("#docs-meta").clear()
    page.find("#docs-meta").send_keys(Keys.BACKSPACE)
    sources = sorted({d["source"] for d in listing})
    page.wait("the source list", lambda: [o.get_attribute("value") for o in page.find_all("#docs-source option")][1:] == sources)
    api_source = [d["source"] for d in listing if d["path"] == "team/storage-probe.md"][0]
    Select(page.find("#docs-source")).select_by_value(api_source)
    want = sorted(d["path"] for d in listing if d["source"] == api_source)
    page.wait("the source filter", lambda: shown() == want)
    check(len(sources) >= 2, f"the source filter lists {sources} and shows only {api_source}'s documents")
    Select(page.find("#docs-source")).select_by_value("")
    page.wait("all documents again", lambda: len(shown()) == min(20, len(listing)))
    page.js("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(shots, "web-filters.png"))
    api_json(base, "DELETE", "/v1/documents/by-path/team/storage-probe.md", token=TOKEN)
    page.no_alert("in the daily-use checks")
    violations = page.js("return window.__cspViolations")
    check(violations == [], f"no Content-Security-Policy violation {violations}")
    page.find("#nav-ask").click()
    page.find("#new-conversation").click()


def run(args):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.keys import Keys

    kb = os.path.abspath(args.kb)
    if not os.access(kb, os.X_OK):
        fail(f"{kb} is not an executable kb binary (build it first: swift build)")
    tool = os.path.join(ROOT, "..", "shared", "tools", "ollama-minilm")
    if not os.path.exists(os.path.join(tool, "server.py")):
        fail(f"the streaming Ollama stand-in {tool}/server.py is missing")
    stub_python = args.ollama_python or os.path.join(os.environ.get("KB_TEST_VENV", "/tmp/kb-test-embenv"), "bin", "python")
    if not os.path.exists(stub_python):
        venv = os.path.dirname(os.path.dirname(stub_python))
        if subprocess.run(["bash", os.path.join(tool, "setup.sh"), venv], timeout=1200).returncode != 0:
            fail(f"could not set up {tool} in {venv}")

    work = tempfile.mkdtemp(prefix="kb-browser-")
    shots = os.path.abspath(args.screenshots) if args.screenshots else os.path.join(work, "screenshots")
    os.makedirs(shots, exist_ok=True)
    processes = Processes(work)
    driver = None
    results = {}
    try:
        # A streaming Ollama: real MiniLM embeddings, an extractive chat stub that quotes the context.
        ollama_port, kb_port = free_port(), free_port()
        ollama = f"http://127.0.0.1:{ollama_port}"
        stub = processes.start("ollama", [stub_python, os.path.join(tool, "server.py"), "--quiet", "--port", str(ollama_port),
                                          "--threads", "1", "--any-chat-model", "--token-delay-ms", str(args.token_delay_ms)])
        if not wait_http(f"{ollama}/api/version", 60, stub):
            fail(f"the Ollama stand-in did not start:\n{processes.log('ollama')}")

        corpus = os.path.join(work, "corpus")
        shutil.copytree(os.path.join(ROOT, "Corpus", "platform"), os.path.join(corpus, "platform"))
        os.makedirs(os.path.join(corpus, "security"))
        with open(os.path.join(corpus, "security", "zebra-quokka-failover.md"), "w") as f:
            f.write(MALICIOUS_RUNBOOK)
        with open(os.path.join(corpus, "security", "walrus-links.md"), "w") as f:
            f.write(LINKS_RUNBOOK)
        db = os.path.join(work, "kb.sqlite")
        env = dict(os.environ, OLLAMA_HOST=ollama, KB_API_TOKEN=TOKEN, KB_LOG_LEVEL="warning")
        env.pop("KB_READ_TOKEN", None)
        ingest = subprocess.run([kb, "ingest", "--db", db, "--embedder", args.embedder, corpus], env=env,
                                capture_output=True, text=True, timeout=600)
        if ingest.returncode != 0:
            fail(f"kb ingest failed:\n{ingest.stdout}{ingest.stderr}")
        server = processes.start("kb-serve", [kb, "serve", "--db", db, "--port", str(kb_port), "--chat-model", "llama3.2", "--chat-models", "*"], env=env)
        base = f"http://127.0.0.1:{kb_port}"
        if not wait_http(f"{base}/healthz", 60, server):
            fail(f"kb serve did not start:\n{processes.log('kb-serve')}")
        print(f"browser test: kb serve on {base}, Ollama stand-in on {ollama} ({args.token_delay_ms} ms per token), "
              f"embedder {args.embedder}, work dir {work}")

        options = Options()
        options.binary_location = shutil.which("chromium")
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900",
                     "--lang=en-US", "--force-color-profile=srgb", "--hide-scrollbars", "--no-first-run",
                     "--disable-extensions", "--disable-background-networking", "--blink-settings=preferredColorScheme=1"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver"), log_output=os.path.join(work, "chromedriver.log")),
                                  options=options)
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(30)
        # Before any script of the page runs: record CSP violations (an injected handler or script would cause one).
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
            window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation',
              (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));"""})
        desktop = {"width": 1200, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", desktop)
        page = Page(driver, base)

        print("page load")
        driver.get(base + "/")
        page.wait("the page script", lambda: page.js("return !!window.kb"))
        check(driver.title.startswith("kb"), f"title {driver.title!r}")
        check(page.js("return document.activeElement.id") == "question", "the question box has focus on load")
        unlabelled = page.js("""return [...document.querySelectorAll('input, textarea, select')]
            .filter((e) => !e.labels.length && !e.getAttribute('aria-label')).map((e) => e.id);""")
        check(unlabelled == [], f"every input has a label {unlabelled}")
        renderer_checks(page)

        print("ask: streaming, sources, citations")
        samples = page.ask(QUESTION)
        check(samples[-1][1] == "done", f"the answer finished (state {samples[-1][1]})")
        streaming = [length for _, state, length in samples if state == "streaming"]
        growth = sorted(set(streaming))
        check(len(growth) >= 5 and streaming == sorted(streaming),
              f"the answer grew while streaming: {len(growth)} distinct lengths before done, e.g. {growth[:6]}")
        answer = page.find("#answer").text
        check("[extractive stub, no LLM]" in answer, "the answer is the model's streamed text")
        sources = page.find_all("#sources > li")
        check(len(sources) >= 3, f"{len(sources)} sources listed")
        first = page.find("#source-1 summary").text
        check("platform/disk-full.md" in first and "›" in first and "score 0." in first, f"source shows path › heading and score: {first!r}")
        check(not page.js("return document.querySelector('#source-1 details').open"), "sources start closed")
        page.find("#source-2 summary").click()
        check(page.js("return document.querySelector('#source-2 details').open")
              and len(page.find("#source-2 .source-body").text) > 20, "clicking a source opens its chunk text")
        cites = page.find_all("#answer a.cite")
        check(len(cites) >= 2, f"{len(cites)} citation links in the answer")
        cites[0].click()
        page.wait("source 1 highlighted", lambda: page.js(
            "const s = document.getElementById('source-1'); return s.classList.contains('highlight') && s.querySelector('details').open;"))
        check(page.js("return document.activeElement.closest('li').id") == "source-1", "a citation click opens, highlights and focuses its source")
        cites[1].send_keys(Keys.ENTER)
        target = cites[1].get_attribute("data-source")
        page.wait("the second citation by keyboard", lambda: page.js(
            f"return document.getElementById('source-{target}').classList.contains('highlight');"))
        check(page.js("return document.querySelectorAll('.source.highlight').length") == 1, "Enter on a citation jumps to its source (keyboard)")
        check(len(page.find_all("#sources .cited-mark")) >= 2, "cited sources are marked")
        timings = page.answer_timings()
        check(timings["first_token"] and timings["total"] > timings["first_token"],
              f"Performance API: first token {timings['first_token']:.0f} ms, answer {timings['total']:.0f} ms")
        page.js("document.getElementById('source-1').scrollIntoView({block: 'center'}); window.scrollTo(0, 0);")
        driver.save_screenshot(os.path.join(shots, "web-answer.png"))

        print("keyboard focus")
        page.find("#question").send_keys(Keys.TAB)
        focused = page.js("const e = document.activeElement; const s = getComputedStyle(e);"
                          "return [e.id, s.outlineStyle, s.outlineWidth];")
        check(focused[0] == "ask-button" and focused[1] != "none", f"Tab reaches the Ask button with a visible focus ring {focused}")

        print("refusal and errors")
        page.ask("quarterly marketing budget for the cafeteria espresso machine", watch=False)
        refused = page.js("return !document.getElementById('refusal').hidden")
        if refused:
            check("do not cover" in page.find("#answer").text, "a refusal is shown as such, with no sources")
        else:
            print("  note: this question was not refused by this embedder; refusal display checked with a stubbed stream")
        # API errors, before and during the stream: the page's fetch answers once from a canned response.
        page.js("""const real = window.fetch; window.fetch = (url, init) => { window.fetch = real;
            return Promise.resolve(new Response(JSON.stringify({error: {code: 'embedder_unavailable', message: 'the embedder at http://127.0.0.1:11434 is down'}}),
              {status: 503, headers: {'Content-Type': 'application/json'}})); };""")
        page.ask("anything", watch=False)
        error = page.find("#ask-error").text
        check("embedder" in error and "503" in error and "embedder_unavailable" in error, f"an API error is shown: {error!r}")
        page.js("""const real = window.fetch; window.fetch = (url, init) => { window.fetch = real;
            const lines = [{type: 'sources', sources: [{number: 1, chunk_id: 1, path: 'a.md', heading: 'A', score: 0.5, text: 'x', lines: [1, 2]}]},
                           {type: 'token', text: 'Half an answer [1] and [4]'},
                           {type: 'error', error: {code: 'upstream_error', message: 'connection reset by peer'}}];
            return Promise.resolve(new Response(lines.map((l) => JSON.stringify(l)).join('\\n') + '\\n',
              {status: 200, headers: {'Content-Type': 'application/x-ndjson'}})); };""")
        page.ask("anything", watch=False)
        check("connection reset" in page.find("#ask-error").text and "Half an answer" in page.find("#answer").text
              and len(page.find_all("#answer .cite-invalid")) == 1,
              "a mid-stream error keeps the partial answer, flags [4], and says why it stopped")
        if not refused:
            page.js("""const real = window.fetch; window.fetch = (url, init) => { window.fetch = real;
                const lines = [{type: 'sources', sources: []}, {type: 'token', text: 'The runbooks do not cover this question.'},
                               {type: 'done', citations: [], invalid_citations: [], refused: true, timings_ms: {}}];
                return Promise.resolve(new Response(lines.map((l) => JSON.stringify(l)).join('\\n') + '\\n', {status: 200})); };""")
            page.ask("anything", watch=False)
            check(not page.js("return document.getElementById('refusal').hidden"), "a refusal is shown as such")

        print("XSS: a malicious runbook quoted in the answer and shown as a source")
        page.ask(XSS_QUESTION, watch=False)
        check(page.js("return document.getElementById('answer').dataset.state") == "done", "the answer finished")
        answer = page.find("#answer").text
        check("<script>" in answer and "<img src=x onerror=" in answer and "javascript:" in answer,
              "the answer quotes <script>, <img onerror> and a javascript: link, as text")
        for item in page.find_all("#sources summary"):
            item.click()
        body = page.find("#source-1 .source-body").text
        check("<img src=x onerror=" in body and "<script>" in body, "the source shows the payloads as text")
        time.sleep(0.5)  # give any injected handler time to run
        page.no_alert("after rendering hostile text")
        check(page.js("return typeof window.__kbXss") == "undefined", "no payload ran (window.__kbXss unset)")
        check(page.js("return document.querySelectorAll('img, iframe, object, embed, svg').length") == 0, "no injected element exists")
        check(page.js("return document.scripts.length") == 1, "the only script is /app.js")
        check(page.js("return [...document.querySelectorAll('[onerror], [onload], [onclick]')].length") == 0, "no event-handler attributes")
        check(page.js("return [...document.links].filter((a) => !/^https?:/.test(a.href)).length") == 0,
              "no javascript:/data: link anywhere (every link is http(s))")
        blocked = page.js("return [...document.querySelectorAll('#answer .blocked-link')].map((e) => e.textContent)")
        check(any("javascript:" in b for b in blocked), "the javascript: link is shown as flagged text")
        violations = page.js("return window.__cspViolations")
        check(violations == [], f"no Content-Security-Policy violation {violations}")
        driver.save_screenshot(os.path.join(shots, "web-xss.png"))

        print("documents: list, upload, delete")
        page.find("#nav-documents").click()
        listing = json.loads(get(f"{base}/v1/documents?limit=100")[1])
        page.wait("the documents list", lambda: len(page.find_all("#documents > li")) == listing["total"])
        check(page.find("#docs-range").text == f"1–{listing['total']} of {listing['total']}", f"the list shows all {listing['total']} documents")
        check(page.js("return document.activeElement.id") == "docs-heading", "switching views moves focus to the view's heading")
        upload = os.path.join(work, "upload-probe.md")
        with open(upload, "w") as f:
            f.write("# Upload probe\n\n## Steps\n\nRun `probe --check` and watch <b>bold</b> text.\n")
        page.find("#api-token").clear()
        page.find("#upload-files").send_keys(upload)
        page.find("#upload-button").click()
        page.wait("the upload result", lambda: page.find_all("#upload-results li.failed"))
        message = page.find("#upload-results li.failed").text
        check("Authorization" in message or "token" in message, f"without a token the API's error is shown: {message!r}")
        page.find("#api-token").send_keys("wrong-token")
        page.find("#upload-files").send_keys(upload)
        page.find("#upload-button").click()
        page.wait("the second upload result", lambda: "not valid" in page.find("#upload-results").text)
        check(True, "a wrong token gets the API's invalid-token error")
        page.find("#api-token").clear()
        page.find("#api-token").send_keys(TOKEN)
        check(page.js("return sessionStorage.getItem('kb.apiToken')") == TOKEN
              and not page.js("return Object.keys(localStorage).some((k) => localStorage.getItem(k).includes(arguments[0]))", TOKEN),
              "the token is kept in sessionStorage only (never in localStorage)")
        page.find("#upload-files").send_keys(upload)
        page.find("#upload-button").click()
        page.wait("the uploaded document in the list",
                  lambda: page.find_all('#documents > li[data-path="upload-probe.md"]') and page.find_all("#upload-results li.ok"))
        check("created" in page.find("#upload-results li.ok").text, "uploading a .md file creates the document")
        page.js("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(shots, "web-documents.png"))
        item = page.find('#documents > li[data-path="upload-probe.md"]')
        item.find_element("css selector", "summary").click()
        page.wait("the chunks", lambda: "probe --check" in item.text)
        check("<b>bold</b>" in item.text and not page.find_all("#documents b"), "its chunks show, markup as text")
        delete = item.find_element("css selector", "button.danger")
        check(delete.get_attribute("aria-label") == "Delete upload-probe.md", "the delete button names its document")
        delete.click()
        page.wait("the confirmation", lambda: page.js("return document.getElementById('delete-dialog').open"))
        page.find("#delete-cancel").send_keys(Keys.ESCAPE)
        page.wait("the dialog to close", lambda: not page.js("return document.getElementById('delete-dialog').open"))
        check(page.find_all('#documents > li[data-path="upload-probe.md"]') != [], "Escape cancels the delete")
        page.find('#documents > li[data-path="upload-probe.md"] button.danger').click()
        page.wait("the confirmation", lambda: page.js("return document.getElementById('delete-dialog').open"))
        page.find("#delete-confirm").click()
        page.wait("the document to go", lambda: not page.find_all('#documents > li[data-path="upload-probe.md"]'))
        paths = [d["path"] for d in json.loads(get(f"{base}/v1/documents?limit=100")[1])["documents"]]
        check("upload-probe.md" not in paths and "Deleted upload-probe.md" in page.find("#docs-status").text,
              "confirming deletes it through the API")
        page.no_alert("on the documents view")

        daily_use_checks(page, driver, base, shots)

        print("phone-sized window (390×844)")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        overflow = page.js("return document.documentElement.scrollWidth - window.innerWidth")
        check(overflow <= 0, f"the documents view fits the width (overflow {overflow}px)")
        page.find("#nav-ask").click()
        page.ask(QUESTION, watch=False)
        page.find("#source-1 summary").click()
        overflow = page.js("return document.documentElement.scrollWidth - window.innerWidth")
        check(overflow <= 0, f"the answer and an open source fit the width (overflow {overflow}px)")
        small = page.js("""return [...document.querySelectorAll('button, .tabs a')].filter((e) => e.offsetParent)
            .filter((e) => e.getBoundingClientRect().height < 36).map((e) => e.id || e.textContent);""")
        check(small == [], f"buttons and tabs are large enough to tap {small}")
        page.js("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(shots, "web-phone.png"))
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", desktop)

        # The 401 and 403 of the upload checks are logged as network errors; script errors are what matter here.
        severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE" and entry["source"] != "network"]
        check(severe == [], f"no script errors in the browser console {severe[:3]}")

        print("latency: the page vs curl -N against the same server")
        results = measure(page, base, args.runs, kb, db, env)
        results["token_delay_ms"] = args.token_delay_ms
        print(json.dumps(results, indent=2))
        if args.report:
            with open(args.report, "w") as f:
                json.dump(results, f, indent=2)
        shrink_screenshots(shots)
        kept = f"screenshots in {shots}" if args.screenshots or args.keep else "pass --screenshots DIR to keep screenshots"
        print(f"browser test: PASS ({kept})")
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception as error:
                print(f"browser test: could not quit chromedriver cleanly: {error}", file=sys.stderr)
        processes.stop_all()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def kb_ask_timings(kb, db, env):
    """`kb ask` as a user runs it (a new process: open the database, load the index, retrieve, stream): milliseconds
    to the first byte of the answer on stdout (the stub's answers start with "[extractive") and to the exit."""
    started = time.monotonic()
    process = subprocess.Popen([kb, "ask", "--db", db, "--chat-model", "llama3.2", QUESTION], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)
    output, first = b"", None
    deadline = started + 60
    while time.monotonic() < deadline:
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        output += chunk
        if first is None and b"[extractive" in output:
            first = time.monotonic()
    process.wait(timeout=max(1, deadline - time.monotonic()))
    if process.returncode != 0 or first is None:
        return None
    return (first - started) * 1000, (time.monotonic() - started) * 1000


def measure(page, base, runs, kb, db, env):
    """Time to first token and to the whole answer through the page, curl -N and `kb ask`: medians of `runs`."""
    page_first, page_total = [], []
    for _ in range(runs):
        page.find("#new-conversation").click()  # a question of its own, like curl's: no history sent
        page.ask(QUESTION, watch=False)
        timings = page.answer_timings()
        page_first.append(timings["first_token"])
        page_total.append(timings["total"])
    curl_first, curl_total, server_first = [], [], []
    body = json.dumps({"question": QUESTION})
    for _ in range(runs):
        started = time.monotonic()
        process = subprocess.Popen(["curl", "-sN", "--max-time", "60", f"{base}/v1/ask", "-H", "Content-Type: application/json",
                                    "-d", body], stdout=subprocess.PIPE, text=True)
        first = None
        for line in process.stdout:
            event = json.loads(line)
            if event["type"] == "token" and first is None:
                first = time.monotonic()
            if event["type"] == "done":
                curl_total.append((time.monotonic() - started) * 1000)
                server_first.append(event["timings_ms"].get("first_token"))
        process.wait(timeout=30)
        curl_first.append((first - started) * 1000)
    median = lambda values: round(statistics.median(values), 1)  # noqa: E731
    results = {"question": QUESTION, "runs": runs,
               "page_first_token_ms": median(page_first), "page_answer_ms": median(page_total),
               "curl_first_token_ms": median(curl_first), "curl_answer_ms": median(curl_total),
               "server_first_token_ms": median(server_first),
               "page_first_token_all": [round(v) for v in page_first], "curl_first_token_all": [round(v) for v in curl_first]}
    if subprocess.run([kb, "ask", "--help"], capture_output=True, timeout=30).returncode == 0:
        asks = [kb_ask_timings(kb, db, env) for _ in range(runs)]
        if all(asks):
            results["kb_ask_first_token_ms"] = median([a[0] for a in asks])
            results["kb_ask_answer_ms"] = median([a[1] for a in asks])
        else:
            results["kb_ask"] = "failed or printed no answer"
    return results


def shrink_screenshots(directory):
    """Palette PNGs are a third of the size; only when Pillow happens to be installed."""
    try:
        from PIL import Image
    except ImportError:
        return
    for name in os.listdir(directory):
        if name.endswith(".png"):
            path = os.path.join(directory, name)
            Image.open(path).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", default=os.path.join(ROOT, ".build", "debug", "kb"), help="the kb binary (default .build/debug/kb)")
    parser.add_argument("--screenshots", help="directory for the screenshots (default: the temporary work directory)")
    parser.add_argument("--embedder", default="hash", choices=["hash", "ollama"], help="embedder for the test corpus")
    parser.add_argument("--ollama-python", help="python of the ollama-minilm venv (default $KB_TEST_VENV/bin/python)")
    parser.add_argument("--token-delay-ms", type=int, default=30, help="delay between streamed tokens of the chat stub")
    parser.add_argument("--runs", type=int, default=5, help="answers timed each way for the latency comparison")
    parser.add_argument("--report", help="write the latency figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, database)")
    args = parser.parse_args()
    ensure_chromium()
    ensure_selenium()
    signal.signal(signal.SIGALRM, lambda *_: fail("the whole browser test took longer than 15 minutes"))
    signal.alarm(900)
    run(args)


if __name__ == "__main__":
    main()
