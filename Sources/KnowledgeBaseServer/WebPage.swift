// The web page of `kb serve`: one HTML document, its stylesheet and its script, as static text.
//
// No build step and no network: the page loads nothing but /app.css and /app.js from this server (no CDN, no web
// fonts), so it works offline and under a strict Content-Security-Policy (no inline script or style, no event-handler
// attributes). Document text and model output are untrusted: the script inserts them only as text nodes, and makes
// links only for http(s) URLs.

/// The page's three files.
enum WebPage {
    /// `GET /`.
    static let html = ##"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>kb: answers from your runbooks</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="top">
  <p class="brand"><span class="logo" aria-hidden="true">kb</span> <span class="tagline">answers from your runbooks</span></p>
  <nav class="tabs" aria-label="Views">
    <a href="#ask" id="nav-ask">Ask</a>
    <a href="#documents" id="nav-documents">Documents</a>
  </nav>
</header>
<main>
<section id="ask-view" class="view" aria-labelledby="ask-heading">
  <h1 id="ask-heading" class="visually-hidden" tabindex="-1">Ask the runbooks</h1>
  <form id="ask-form" class="ask">
    <label for="question">Question</label>
    <div class="ask-row">
      <textarea id="question" name="question" rows="2" maxlength="4000" required spellcheck="true"
        placeholder="A disk is full and writes fail with no space left on device. What do I do first?"
        aria-describedby="question-hint"></textarea>
      <div class="ask-buttons">
        <button type="submit" id="ask-button" class="primary">Ask</button>
        <button type="button" id="stop-button" hidden>Stop</button>
      </div>
    </div>
    <p id="question-hint" class="hint">Enter asks, Shift+Enter starts a new line. Answers come only from the indexed runbooks, with numbered sources.</p>
  </form>
  <p id="ask-status" class="status" role="status" aria-live="polite"></p>
  <div id="ask-error" class="error" role="alert" hidden></div>
  <section id="answer-section" class="panel" aria-labelledby="answer-heading" hidden>
    <h2 id="answer-heading">Answer</h2>
    <div id="refusal" class="refusal" hidden>
      <strong>Not in the runbooks.</strong> No indexed passage matches this question closely enough, so kb did not ask the model.
    </div>
    <div id="answer" class="answer md" aria-busy="false" data-state="idle"></div>
    <p id="citation-notes" class="notes" hidden></p>
    <p id="answer-timings" class="timings"></p>
  </section>
  <section id="sources-section" class="panel" aria-labelledby="sources-heading" hidden>
    <h2 id="sources-heading">Sources</h2>
    <ol id="sources" class="sources"></ol>
  </section>
</section>

<section id="docs-view" class="view" aria-labelledby="docs-heading" hidden>
  <h1 id="docs-heading" tabindex="-1">Documents</h1>
  <form id="token-form" class="card token-form" autocomplete="off">
    <label for="api-token">API token</label>
    <div class="row">
      <input id="api-token" name="api-token" type="password" autocomplete="off" spellcheck="false"
        aria-describedby="token-hint">
      <button type="button" id="token-forget">Forget</button>
    </div>
    <p id="token-hint" class="hint">Needed to upload and delete: the server's <code>KB_API_TOKEN</code>, or the token <code>kb serve</code> generated (it says where on start, e.g. <code>kb.sqlite.write-token</code>). Kept in this tab only (sessionStorage) and sent to this server alone.</p>
  </form>
  <form id="upload-form" class="card upload-form">
    <label for="upload-files">Add runbooks (.md or .txt)</label>
    <div class="row">
      <input id="upload-files" name="files" type="file" accept=".md,.markdown,.txt,text/markdown,text/plain" multiple required
        aria-describedby="upload-hint">
      <button type="submit" id="upload-button" class="primary">Upload</button>
    </div>
    <p id="upload-hint" class="hint">Each file is stored under its file name; uploading a file with the same name replaces it.</p>
  </form>
  <div id="docs-error" class="error" role="alert" hidden></div>
  <p id="docs-status" class="status" role="status" aria-live="polite"></p>
  <ul id="upload-results" class="upload-results"></ul>
  <ul id="documents" class="documents" aria-label="Documents in the knowledge base"></ul>
  <nav class="pager" aria-label="Document pages">
    <button type="button" id="docs-prev">Previous</button>
    <span id="docs-range"></span>
    <button type="button" id="docs-next">Next</button>
  </nav>
</section>
</main>

<dialog id="delete-dialog" aria-labelledby="delete-title" aria-describedby="delete-text">
  <form method="dialog">
    <h2 id="delete-title">Delete this document?</h2>
    <p id="delete-text"></p>
    <div class="dialog-buttons">
      <button type="submit" value="cancel" id="delete-cancel" autofocus>Cancel</button>
      <button type="submit" value="delete" id="delete-confirm" class="danger">Delete</button>
    </div>
  </form>
</dialog>
<noscript><p class="error">This page needs JavaScript. The HTTP API works without it: see the README.</p></noscript>
</body>
</html>
"""##

    /// `GET /app.css`.
    static let css = ##"""
:root {
  --bg: #f6f7f9; --fg: #1b1f24; --muted: #59636e; --panel: #ffffff; --border: #d0d7de;
  --accent: #0b5cad; --accent-fg: #ffffff; --focus: #f59e0b; --code-bg: #eef1f4;
  --danger: #b42318; --warn-bg: #fff4e5; --warn-border: #f0b45a; --error-bg: #fdecea;
  --highlight: #fff3c4; --link: #0b5cad;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  font-size: 16px; line-height: 1.5; color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419; --fg: #e6edf3; --muted: #9aa5b1; --panel: #161b22; --border: #30363d;
    --accent: #2f81f7; --accent-fg: #ffffff; --code-bg: #1f262e; --danger: #f85149;
    --warn-bg: #2b2111; --warn-border: #9e6a03; --error-bg: #3a1618; --highlight: #3d3411; --link: #58a6ff;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); }
main { max-width: 62rem; margin: 0 auto; padding: 0 1rem 3rem; }
a { color: var(--link); }
code, pre, kbd { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
[hidden] { display: none !important; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

/* Focus is always visible for keyboard users. */
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 3px; }
h1[tabindex]:focus, h2[tabindex]:focus { outline: none; }

.top {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem;
  max-width: 62rem; margin: 0 auto; padding: 0.75rem 1rem;
}
.brand { margin: 0; display: flex; align-items: baseline; gap: 0.6rem; }
.logo { font-weight: 800; font-size: 1.4rem; letter-spacing: -0.02em; background: var(--accent); color: var(--accent-fg); padding: 0 0.45rem; border-radius: 6px; }
.tagline { color: var(--muted); font-size: 0.95rem; }
.tabs { display: flex; gap: 0.25rem; }
.tabs a {
  padding: 0.45rem 0.9rem; border-radius: 999px; text-decoration: none; color: var(--fg);
  border: 1px solid transparent; min-height: 2.5rem; display: inline-flex; align-items: center;
}
.tabs a[aria-current="page"] { background: var(--panel); border-color: var(--border); font-weight: 600; }
h1 { font-size: 1.4rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.75rem; }

label { display: block; font-weight: 600; margin-bottom: 0.35rem; }
.hint { color: var(--muted); font-size: 0.875rem; margin: 0.4rem 0 0; }
textarea, input[type="password"], input[type="text"] {
  width: 100%; font: inherit; color: inherit; background: var(--panel);
  border: 1px solid var(--border); border-radius: 8px; padding: 0.6rem 0.7rem;
}
textarea { resize: vertical; min-height: 3.2rem; }
input[type="file"] { font: inherit; max-width: 100%; min-width: 0; flex: 1 1 12rem; }
input[type="file"]::file-selector-button {
  font: inherit; min-height: 2.6rem; padding: 0.45rem 1rem; margin-right: 0.75rem; cursor: pointer;
  border-radius: 8px; border: 1px solid var(--border); background: var(--bg); color: var(--fg);
}
button {
  font: inherit; cursor: pointer; min-height: 2.6rem; padding: 0.45rem 1rem; border-radius: 8px;
  border: 1px solid var(--border); background: var(--panel); color: var(--fg);
}
button:hover { border-color: var(--muted); }
button:disabled { opacity: 0.55; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); font-weight: 600; }
button.danger { color: var(--danger); }
#delete-confirm { background: var(--danger); border-color: var(--danger); color: #fff; font-weight: 600; }

.ask { margin: 0.5rem 0 0.75rem; }
.ask-row { display: flex; gap: 0.5rem; align-items: flex-start; }
.row { display: flex; gap: 0.5rem; align-items: center; }
.ask-row textarea { flex: 1; }
.ask-buttons { display: flex; flex-direction: column; gap: 0.4rem; }
.row input[type="password"] { flex: 1; }

.status { color: var(--muted); min-height: 1.5em; margin: 0.25rem 0; }
.error { background: var(--error-bg); border: 1px solid var(--danger); color: var(--fg); border-radius: 8px; padding: 0.6rem 0.8rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
.error strong { color: var(--danger); }
.panel, .card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 1rem; margin: 0.75rem 0; }
.card { padding: 0.85rem 1rem; }
.refusal { background: var(--warn-bg); border: 1px solid var(--warn-border); border-radius: 8px; padding: 0.6rem 0.8rem; margin-bottom: 0.75rem; }
.answer { overflow-wrap: anywhere; min-height: 1.5em; }
.answer[data-state="streaming"]::after { content: "▍"; color: var(--accent); animation: blink 1s steps(2) infinite; }
@keyframes blink { 50% { opacity: 0; } }
@media (prefers-reduced-motion: reduce) { .answer[data-state="streaming"]::after { animation: none; } }
.notes { font-size: 0.9rem; margin: 0.75rem 0 0; }
.timings { color: var(--muted); font-size: 0.8rem; margin: 0.5rem 0 0; }

/* Rendered Markdown (answers and source text). */
.md > :first-child { margin-top: 0; }
.md > :last-child { margin-bottom: 0; }
.md p, .md ul, .md ol, .md pre, .md blockquote { margin: 0.5rem 0; }
.md ul, .md ol { padding-left: 1.5rem; }
.md li > p { margin: 0.15rem 0; }
.md h3, .md h4, .md h5, .md h6 { font-size: 1rem; margin: 0.9rem 0 0.35rem; }
.md code { background: var(--code-bg); padding: 0.1em 0.3em; border-radius: 4px; }
.md pre { background: var(--code-bg); padding: 0.65rem 0.8rem; border-radius: 8px; overflow-x: auto; line-height: 1.4; }
.md pre code { background: none; padding: 0; font-size: 0.85rem; }
.md blockquote { border-left: 3px solid var(--border); margin-left: 0; padding-left: 0.8rem; color: var(--muted); }
.md hr { border: none; border-top: 1px solid var(--border); }
.md table { border-collapse: collapse; }
.cite { font-weight: 600; text-decoration: none; padding: 0 0.1em; border-radius: 3px; }
.cite:hover, .cite:focus-visible { text-decoration: underline; }
.cite-invalid { color: var(--danger); text-decoration: line-through wavy; cursor: help; }
.blocked-link { border-bottom: 1px dashed var(--danger); cursor: help; }
.flag { color: var(--danger); font-weight: 600; }

.sources { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.5rem; }
.source { border: 1px solid var(--border); border-radius: 8px; scroll-margin: 1rem; transition: background-color 0.3s; }
.source.highlight { background: var(--highlight); border-color: var(--focus); }
.source summary { cursor: pointer; padding: 0.55rem 0.75rem; display: flex; flex-wrap: wrap; gap: 0.25rem 0.5rem; align-items: baseline; list-style: none; }
.source summary::-webkit-details-marker { display: none; }
.source summary::before { content: "▸"; color: var(--muted); width: 0.8em; }
.source details[open] > summary::before { content: "▾"; }
.source .num { font-weight: 700; color: var(--accent); }
.source .where { flex: 1 1 14rem; min-width: 0; overflow-wrap: anywhere; }
.source .path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.88rem; }
.source .sep { color: var(--muted); }
.source .score { color: var(--muted); font-size: 0.85rem; font-variant-numeric: tabular-nums; }
.source .cited-mark { font-size: 0.75rem; color: var(--accent); border: 1px solid var(--accent); border-radius: 999px; padding: 0 0.45rem; }
.source-body { padding: 0 0.75rem 0.6rem; border-top: 1px solid var(--border); overflow-wrap: anywhere; }
.source-body .lines { color: var(--muted); font-size: 0.8rem; margin: 0.5rem 0 0; }

.documents { list-style: none; padding: 0; margin: 0.5rem 0; display: grid; gap: 0.5rem; }
.doc { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 0.65rem 0.8rem; }
.doc-head { display: flex; gap: 0.5rem 0.75rem; align-items: center; justify-content: space-between; }
.doc-info { min-width: 0; }
.doc .doc-path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92rem; font-weight: 600; overflow-wrap: anywhere; }
.doc .doc-title { color: var(--muted); overflow-wrap: anywhere; }
.doc .doc-meta { color: var(--muted); font-size: 0.82rem; margin-top: 0.15rem; }
.doc details { margin-top: 0.35rem; }
.doc details summary { cursor: pointer; color: var(--link); font-size: 0.9rem; width: fit-content; }
.chunk { border-top: 1px solid var(--border); padding: 0.4rem 0; }
.chunk-heading { font-size: 0.85rem; color: var(--muted); margin: 0 0 0.25rem; }
.upload-results { list-style: none; padding: 0; margin: 0.25rem 0; }
.upload-results li { padding: 0.2rem 0; overflow-wrap: anywhere; }
.upload-results .ok::before { content: "✓ "; color: #1a7f37; }
.upload-results .failed::before { content: "✗ "; color: var(--danger); }
.pager { display: flex; align-items: center; gap: 0.75rem; justify-content: center; margin: 0.75rem 0; }
.pager #docs-range { color: var(--muted); font-size: 0.9rem; }

dialog { border: 1px solid var(--border); border-radius: 12px; background: var(--panel); color: var(--fg); max-width: min(30rem, calc(100vw - 2rem)); padding: 1.1rem 1.2rem; }
dialog::backdrop { background: rgba(0, 0, 0, 0.45); }
dialog p { overflow-wrap: anywhere; }
.dialog-buttons { display: flex; gap: 0.5rem; justify-content: flex-end; flex-wrap: wrap; }

/* Phones: one column, full-width controls, nothing wider than the screen. */
@media (max-width: 40rem) {
  main { padding: 0 0.75rem 2rem; }
  .top { padding: 0.6rem 0.75rem; }
  .tagline { display: none; }
  .ask-row { flex-direction: column; align-items: stretch; }
  .ask-buttons { flex-direction: row; }
  .ask-buttons button { flex: 1; }
  .row { flex-wrap: wrap; }
  .row button { flex: 1 1 auto; }
  .panel { padding: 0.8rem; }
  .doc-head { flex-direction: column; align-items: stretch; }
}
"""##

    /// `GET /app.js`: the Markdown renderer (DOM nodes only), the streaming answer, sources and the documents view.
    static let javascript = ##"""
// kb web page. Document text and model output are untrusted: they only ever reach the page as text nodes
// (textContent, createTextNode) inside elements this script creates; links are made only for http(s) URLs.
'use strict';
(() => {
  const TOKEN_KEY = 'kb.apiToken';
  const PAGE_SIZE = 20;
  const byId = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- DOM helpers

  /** An element with fixed attributes (never an event-handler attribute) and children (strings become text). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function show(node, visible) { node.hidden = !visible; }

  function showError(node, error) {
    node.replaceChildren();
    if (!error) { node.hidden = true; return; }
    node.append(el('strong', { text: error.title || 'Error' }), ' ', error.message);
    if (error.code) node.append(' ', el('span', { class: 'hint', text: `(${error.code}${error.status ? `, HTTP ${error.status}` : ''})` }));
    if (error.hint) node.append(' ', error.hint);
    node.hidden = false;
  }

  // ---------------------------------------------------------------- Markdown (a safe subset, DOM only)

  const Markdown = (() => {
    const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])( {1,4}|$)(.*)$/;
    const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
    const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
    const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
    const QUOTE = /^ {0,3}>/;
    const CITATION = /\[(\d{1,4}(?:\s*[,-]\s*\d{1,4})*)\]/g;

    /** The URL when it is an absolute http(s) URL, else null: javascript:, data:, relative and odd URLs stay text. */
    function safeHref(raw) {
      const text = String(raw).trim();
      if (!/^https?:\/\/[^\s]/i.test(text)) return null;
      try {
        const url = new URL(text);
        return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
      } catch (_) {
        return null;
      }
    }

    function isBlank(line) { return /^\s*$/.test(line); }

    function startsBlock(line) {
      return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
    }

    function expandTabs(line) { return line.replace(/^[ \t]+/, (ws) => ws.replace(/\t/g, '    ')); }

    function dedent(line, count) {
      let index = 0;
      while (index < count && line[index] === ' ') index++;
      return line.slice(index);
    }

    /** Renders `text` into a new fragment. Options: citations (Set of valid numbers, or null for none),
     *  invalid (Set of numbers flagged by the server), breaks (a single newline is a line break, as chat models
     *  mean it; runbooks are hard-wrapped, so there it is a space). */
    function render(text, options) {
      const fragment = document.createDocumentFragment();
      const lines = String(text).replace(/\r\n?/g, '\n').split('\n').map(expandTabs);
      blocks(lines, fragment, options || {});
      return fragment;
    }

    function blocks(lines, parent, options) {
      let i = 0;
      while (i < lines.length) {
        const line = lines[i];
        let match;
        if (isBlank(line)) { i++; continue; }
        if ((match = FENCE.exec(line)) && !(match[2][0] === '`' && match[3].includes('`'))) {
          const indent = match[1].length, fence = match[2];
          const body = [];
          for (i++; i < lines.length; i++) {
            const closing = lines[i].trim();
            if (closing.length >= fence.length && closing === fence[0].repeat(closing.length)) { i++; break; }
            body.push(dedent(lines[i], indent));
          }
          const code = el('code');
          code.textContent = body.join('\n');
          parent.append(el('pre', null, code));
          continue;
        }
        if ((match = HEADING.exec(line))) {
          const heading = el(`h${Math.min(6, match[1].length + 2)}`);
          inline(match[2] || '', heading, options);
          parent.append(heading);
          i++;
          continue;
        }
        if (RULE.test(line)) { parent.append(el('hr')); i++; continue; }
        if (QUOTE.test(line)) {
          const body = [];
          while (i < lines.length && QUOTE.test(lines[i])) body.push(lines[i++].replace(/^ {0,3}> ?/, ''));
          const quote = el('blockquote');
          blocks(body, quote, options);
          parent.append(quote);
          continue;
        }
        if (LIST_ITEM.test(line)) { i = list(lines, i, parent, options); continue; }
        const paragraph = [line.trim()];
        for (i++; i < lines.length && !isBlank(lines[i]) && !startsBlock(lines[i]); i++) paragraph.push(lines[i].trim());
        const p = el('p');
        inline(paragraph.join('\n'), p, options);
        parent.append(p);
      }
    }

    function list(lines, i, parent, options) {
      const first = LIST_ITEM.exec(lines[i]);
      const ordered = /\d/.test(first[2]);
      const indent = first[1].length;
      const node = el(ordered ? 'ol' : 'ul');
      if (ordered) {
        const start = parseInt(first[2], 10);
        if (start !== 1) node.setAttribute('start', String(start));
      }
      while (i < lines.length) {
        const match = LIST_ITEM.exec(lines[i]);
        if (!match || match[1].length < indent || match[1].length > indent + 1 || /\d/.test(match[2]) !== ordered) break;
        const contentIndent = match[1].length + match[2].length + (match[3].length || 1);
        const body = [match[4]];
        let blank = false;
        for (i++; i < lines.length; i++) {
          const next = lines[i];
          if (isBlank(next)) { blank = true; body.push(''); continue; }
          const leading = next.length - next.trimStart().length;
          if (leading >= Math.min(contentIndent, indent + 2)) { body.push(dedent(next, contentIndent)); blank = false; continue; }
          // A plain line right after the item's text continues it (a "lazy" continuation line).
          if (!blank && !startsBlock(next)) { body.push(next.trim()); continue; }
          break;
        }
        while (body.length && isBlank(body[body.length - 1])) body.pop();
        const item = el('li');
        blocks(body, item, options);
        // Tight items (no blank line inside): the leading paragraph needs no <p>.
        if (!body.includes('') && item.firstElementChild && item.firstElementChild.tagName === 'P') {
          const p = item.firstElementChild;
          p.replaceWith(...p.childNodes);
        }
        node.append(item);
        if (blank && (i >= lines.length || !LIST_ITEM.test(lines[i]))) break;
      }
      parent.append(node);
      return i;
    }

    function matchingBracket(text, open) {
      let depth = 0;
      for (let i = open; i < text.length; i++) {
        const c = text[i];
        if (c === '\\') { i++; continue; }
        if (c === '`') { const end = text.indexOf('`', i + 1); if (end < 0) return -1; i = end; continue; }
        if (c === '[') depth++;
        else if (c === ']' && --depth === 0) return i;
      }
      return -1;
    }

    /** `[label](destination "title")` at `start`, or null. Destinations may hold balanced parentheses. */
    function parseLink(text, start) {
      const close = matchingBracket(text, start);
      if (close < 0 || text[close + 1] !== '(') return null;
      let depth = 0, i = close + 1;
      for (; i < text.length; i++) {
        const c = text[i];
        if (c === '\\') { i++; continue; }
        if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
        else if (c === '\n') return null;
      }
      if (i >= text.length) return null;
      let inside = text.slice(close + 2, i).trim();
      let destination;
      if (inside.startsWith('<')) {
        const end = inside.indexOf('>');
        destination = end > 0 ? inside.slice(1, end) : inside;
      } else {
        destination = inside.split(/\s+/)[0] || '';
      }
      return { label: text.slice(start + 1, close), destination, end: i + 1 };
    }

    function externalLink(href, parent, label, options) {
      const a = el('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' });
      inline(label, a, Object.assign({}, options, { inLink: true }));
      parent.append(a);
    }

    const WORD = /[\p{L}\p{N}]/u;
    const SPACE = /\s/;

    function emphasisClose(text, from, delimiter) {
      for (let i = from; i < text.length; i++) {
        if (text[i] === '\\') { i++; continue; }
        if (text[i] === '`') { const end = text.indexOf('`', i + 1); if (end < 0) return -1; i = end; continue; }
        if (!text.startsWith(delimiter, i) || i === from || SPACE.test(text[i - 1])) continue;
        // A single * or _ must not be half of a double one.
        if (delimiter.length === 1 && (text[i + 1] === delimiter || text[i - 1] === delimiter)) continue;
        if (delimiter[0] === '_' && WORD.test(text[i + delimiter.length] || '')) continue;
        return i;
      }
      return -1;
    }

    function inline(text, parent, options) {
      let buffer = '';
      const flush = () => { if (buffer) { plain(buffer, parent, options); buffer = ''; } };
      let i = 0;
      while (i < text.length) {
        const c = text[i];
        if (c === '\\' && i + 1 < text.length && /[!-/:-@[-`{-~]/.test(text[i + 1])) { buffer += text[i + 1]; i += 2; continue; }
        if (c === '\n') {
          if (options.breaks) { flush(); parent.append(el('br')); } else buffer += ' ';
          i++;
          continue;
        }
        if (c === '`') {
          const run = /^`+/.exec(text.slice(i))[0];
          let close = text.indexOf(run, i + run.length);
          while (close >= 0 && text[close + run.length] === '`') close = text.indexOf(run, close + run.length + 1);
          if (close >= 0) {
            flush();
            let code = text.slice(i + run.length, close).replace(/\n/g, ' ');
            if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim()) code = code.slice(1, -1);
            parent.append(el('code', { text: code }));
            i = close + run.length;
            continue;
          }
          buffer += run;
          i += run.length;
          continue;
        }
        if (c === '*' || c === '_') {
          const delimiter = text[i + 1] === c ? c + c : c;
          const next = text[i + delimiter.length] || '';
          const before = i > 0 ? text[i - 1] : ' ';
          if (next && !SPACE.test(next) && !(c === '_' && WORD.test(before))) {
            const close = emphasisClose(text, i + delimiter.length, delimiter);
            if (close > i + delimiter.length) {
              flush();
              const node = el(delimiter.length === 2 ? 'strong' : 'em');
              inline(text.slice(i + delimiter.length, close), node, options);
              parent.append(node);
              i = close + delimiter.length;
              continue;
            }
          }
          buffer += delimiter;
          i += delimiter.length;
          continue;
        }
        if (c === '[' || (c === '!' && text[i + 1] === '[')) {
          const start = c === '!' ? i + 1 : i;
          const link = parseLink(text, start);
          if (link) {
            flush();
            const href = safeHref(link.destination);
            if (href && !options.inLink) {
              externalLink(href, parent, link.label, options);
            } else {
              // Not an http(s) link (javascript:, data:, relative…): shown as the text it is.
              parent.append(el('span', {
                class: 'blocked-link',
                title: 'Not a link: only http and https links are followed',
                text: text.slice(i, link.end),
              }));
            }
            i = link.end;
            continue;
          }
        }
        if (c === '<') {
          const match = /^<(https?:\/\/[^\s<>]+)>/i.exec(text.slice(i));
          const href = match && safeHref(match[1]);
          if (href && !options.inLink) { flush(); externalLink(href, parent, match[1], { citations: null }); i += match[0].length; continue; }
        }
        if ((c === 'h' || c === 'H') && !options.inLink && (i === 0 || /[\s(]/.test(text[i - 1]))) {
          const match = /^https?:\/\/[^\s<>"'`]+/i.exec(text.slice(i));
          if (match) {
            const url = match[0].replace(/[.,:;!?)\]*_]+$/, '');
            const href = safeHref(url);
            if (href) { flush(); externalLink(href, parent, url, { citations: null }); i += url.length; continue; }
          }
        }
        buffer += c;
        i++;
      }
      flush();
    }

    /** Text, with citation numbers ([1], [2, 3], [4-5]) turned into links to their source when `options.citations`. */
    function plain(text, parent, options) {
      if (!options.citations || options.inLink) { parent.append(document.createTextNode(text)); return; }
      let last = 0;
      for (const match of text.matchAll(CITATION)) {
        if (match.index > last) parent.append(document.createTextNode(text.slice(last, match.index)));
        parent.append('[');
        for (const part of match[1].split(/(\s*[,-]\s*)/)) {
          parent.append(/^\d+$/.test(part) ? citation(parseInt(part, 10), options) : part);
        }
        parent.append(']');
        last = match.index + match[0].length;
      }
      if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
    }

    function citation(number, options) {
      const valid = options.citations.has(number) && !(options.invalid && options.invalid.has(number));
      if (valid) {
        return el('a', { class: 'cite', href: `#source-${number}`, 'data-source': number,
                         'aria-label': `source ${number}`, text: String(number) });
      }
      return el('span', { class: 'cite-invalid', 'data-invalid-citation': number,
                          title: `No source [${number}] was given to the model: this citation is made up`,
                          text: String(number) });
    }

    return { render, safeHref };
  })();

  // ---------------------------------------------------------------- API

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  function headers(extra) {
    const result = Object.assign({ Accept: 'application/json' }, extra || {});
    const value = token();
    if (value) result.Authorization = `Bearer ${value}`;
    return result;
  }

  /** The API's `{"error":{"code","message"}}` as an error object, whatever the response holds. */
  async function responseError(response) {
    let code = '', message = '';
    try {
      const body = await response.json();
      code = body && body.error && body.error.code || '';
      message = body && body.error && body.error.message || '';
    } catch (_) { /* not JSON */ }
    const error = { status: response.status, code, message: message || `${response.status} ${response.statusText}`.trim() };
    if (response.status === 401 || response.status === 403) {
      error.hint = 'Enter the API token under Documents.';
    }
    return error;
  }

  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (error) {
      return { ok: false, error: { title: 'Cannot reach kb serve.', message: String(error && error.message || error) } };
    }
    if (!response.ok) return { ok: false, error: await responseError(response) };
    try {
      return { ok: true, status: response.status, data: await response.json() };
    } catch (_) {
      return { ok: false, error: { message: 'The server sent a response that is not JSON.' } };
    }
  }

  // ---------------------------------------------------------------- Ask

  const ask = {
    form: byId('ask-form'), question: byId('question'), button: byId('ask-button'), stop: byId('stop-button'),
    status: byId('ask-status'), error: byId('ask-error'), answerSection: byId('answer-section'),
    answer: byId('answer'), refusal: byId('refusal'), notes: byId('citation-notes'), timings: byId('answer-timings'),
    sourcesSection: byId('sources-section'), sources: byId('sources'),
    controller: null, text: '', sourceList: [], done: null, renderPending: false,
  };

  function sourceNumbers() { return new Set(ask.sourceList.map((s) => s.number)); }

  function renderAnswer() {
    ask.renderPending = false;
    const invalid = ask.done ? new Set(ask.done.invalid_citations || []) : null;
    ask.answer.replaceChildren(Markdown.render(ask.text, { citations: sourceNumbers(), invalid, breaks: true }));
  }

  function scheduleRender() {
    if (ask.renderPending) return;
    ask.renderPending = true;
    // Coalesce tokens that arrive within one frame; a hidden tab gets no frames, so render at once there.
    if (document.hidden) renderAnswer(); else requestAnimationFrame(renderAnswer);
  }

  function formatScore(score) { return typeof score === 'number' ? score.toFixed(2) : ''; }

  function renderSources() {
    ask.sources.replaceChildren();
    for (const source of ask.sourceList) {
      const number = Number(source.number);
      const where = el('span', { class: 'where' }, el('span', { class: 'path', text: source.path }));
      if (source.heading) where.append(el('span', { class: 'sep', text: ' › ' }), el('span', { class: 'heading', text: source.heading }));
      const summary = el('summary', null,
        el('span', { class: 'num', text: `[${number}]` }), where,
        el('span', { class: 'score', title: 'cosine similarity to the question', text: `score ${formatScore(source.score)}` }));
      const body = el('div', { class: 'source-body md' });
      body.append(Markdown.render(source.text || '', { citations: null }));
      if (Array.isArray(source.lines) && source.lines.length === 2) {
        body.append(el('p', { class: 'lines', text: `${source.path}, lines ${source.lines[0]}–${source.lines[1]}` }));
      }
      const item = el('li', { class: 'source', id: `source-${number}`, 'data-number': number },
        el('details', null, summary, body));
      ask.sources.append(item);
    }
    show(ask.sourcesSection, ask.sourceList.length > 0);
  }

  function markCited(citations) {
    const cited = new Set((citations || []).map((c) => c.number));
    for (const item of ask.sources.children) {
      const summary = item.querySelector('summary');
      const mark = summary.querySelector('.cited-mark');
      if (cited.has(Number(item.dataset.number)) && !mark) summary.append(el('span', { class: 'cited-mark', text: 'cited' }));
    }
  }

  function jumpToSource(number) {
    const item = byId(`source-${number}`);
    if (!item) return;
    for (const other of ask.sources.querySelectorAll('.highlight')) other.classList.remove('highlight');
    item.querySelector('details').open = true;
    item.classList.add('highlight');
    item.scrollIntoView({ block: 'nearest' });
    item.querySelector('summary').focus({ preventScroll: true });
  }

  function setBusy(busy) {
    ask.button.disabled = busy;
    show(ask.stop, busy);
    ask.answer.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  function resetAnswer() {
    ask.text = '';
    ask.sourceList = [];
    ask.done = null;
    ask.answer.replaceChildren();
    ask.answer.dataset.state = 'waiting';
    delete ask.answer.dataset.firstTokenMs;
    delete ask.answer.dataset.totalMs;
    ask.sources.replaceChildren();
    show(ask.refusal, false);
    show(ask.notes, false);
    ask.timings.textContent = '';
    showError(ask.error, null);
    show(ask.answerSection, false);
    show(ask.sourcesSection, false);
  }

  function milliseconds(value) { return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`; }

  function finish(timing) {
    const done = ask.done;
    renderAnswer();
    ask.answer.dataset.state = 'done';
    timing.done = performance.now();
    performance.mark('kb-answer-done');
    performance.measure('kb-answer', 'kb-ask-start', 'kb-answer-done');
    ask.answer.dataset.totalMs = (timing.done - timing.start).toFixed(1);
    show(ask.refusal, !!done.refused);
    markCited(done.citations);
    const invalid = done.invalid_citations || [];
    ask.notes.replaceChildren();
    if (invalid.length) {
      ask.notes.append(el('span', { class: 'flag', text: 'Flagged: ' }),
        `the answer cites ${invalid.map((n) => `[${n}]`).join(', ')}, which ${invalid.length === 1 ? 'is not a source' : 'are not sources'} kb gave the model. Treat ${invalid.length === 1 ? 'that claim' : 'those claims'} with care.`);
      show(ask.notes, true);
    } else if (!done.refused && ask.sourceList.length && !(done.citations || []).length) {
      ask.notes.append(el('span', { class: 'flag', text: 'No citations: ' }), 'the answer does not cite any source; check it against the sources below.');
      show(ask.notes, true);
    }
    const parts = [];
    if (timing.firstToken !== null) parts.push(`first token ${milliseconds(timing.firstToken - timing.start)}`);
    parts.push(`complete ${milliseconds(timing.done - timing.start)}`);
    const server = done.timings_ms || {};
    if (typeof server.embed === 'number' && typeof server.search === 'number') {
      parts.push(`retrieval ${milliseconds(server.embed + server.search)}`);
    }
    ask.timings.textContent = parts.join(' · ');
    ask.status.textContent = done.refused ? 'The runbooks do not cover this question.' : 'Answer complete.';
  }

  /** Handles one NDJSON event of /v1/ask; true once the stream is over (done or error). */
  function handleEvent(event, timing) {
    switch (event && event.type) {
      case 'sources':
        ask.sourceList = Array.isArray(event.sources) ? event.sources : [];
        renderSources();
        show(ask.answerSection, true);
        ask.answer.dataset.state = 'streaming';
        ask.status.textContent = ask.sourceList.length ? `Found ${ask.sourceList.length} source${ask.sourceList.length === 1 ? '' : 's'}; answering…` : 'Answering…';
        return false;
      case 'token':
        if (timing.firstToken === null) {
          timing.firstToken = performance.now();
          performance.mark('kb-first-token');
          performance.measure('kb-first-token', 'kb-ask-start', 'kb-first-token');
          ask.answer.dataset.firstTokenMs = (timing.firstToken - timing.start).toFixed(1);
        }
        ask.text += typeof event.text === 'string' ? event.text : '';
        scheduleRender();
        return false;
      case 'done':
        ask.done = event;
        finish(timing);
        return true;
      case 'error': {
        renderAnswer();
        ask.answer.dataset.state = 'error';
        const error = event.error || {};
        showError(ask.error, { title: 'The answer stopped.', code: error.code, message: error.message || 'unknown error' });
        ask.status.textContent = 'The answer stopped with an error.';
        return true;
      }
      default:
        return false;
    }
  }

  async function submitQuestion() {
    const question = ask.question.value.trim();
    if (!question) { ask.question.focus(); ask.status.textContent = 'Type a question first.'; return; }
    if (ask.controller) ask.controller.abort();
    const controller = new AbortController();
    ask.controller = controller;
    resetAnswer();
    setBusy(true);
    ask.status.textContent = 'Searching the runbooks…';
    performance.clearMarks();
    performance.clearMeasures();
    const timing = { start: performance.now(), firstToken: null, done: null };
    performance.mark('kb-ask-start');
    let finished = false;
    try {
      const response = await fetch('/v1/ask', {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json', Accept: 'application/x-ndjson' }),
        body: JSON.stringify({ question }),
        signal: controller.signal,
        cache: 'no-store',
      });
      if (!response.ok) {
        const error = await responseError(response);
        error.title = 'No answer.';
        showError(ask.error, error);
        ask.status.textContent = '';
        ask.answer.dataset.state = 'error';
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const consume = (line) => {
        if (!line.trim() || finished) return;
        let event;
        try { event = JSON.parse(line); } catch (_) { throw new Error('the server sent a line that is not JSON'); }
        finished = handleEvent(event, timing);
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          consume(line);
        }
      }
      consume(buffer + decoder.decode());
      if (!finished) {
        renderAnswer();
        ask.answer.dataset.state = 'error';
        showError(ask.error, { title: 'The answer was cut off.', message: 'The connection closed before the answer was complete.' });
        ask.status.textContent = '';
      }
    } catch (error) {
      if (controller.signal.aborted) {
        renderAnswer();
        ask.answer.dataset.state = 'stopped';
        ask.status.textContent = 'Stopped.';
      } else {
        renderAnswer();
        ask.answer.dataset.state = 'error';
        showError(ask.error, { title: 'No answer.', message: `Cannot read the answer from kb serve: ${error && error.message || error}` });
        ask.status.textContent = '';
      }
    } finally {
      if (ask.controller === controller) { ask.controller = null; setBusy(false); }
    }
  }

  ask.form.addEventListener('submit', (event) => { event.preventDefault(); submitQuestion(); });
  ask.question.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask.form.requestSubmit();
    }
  });
  ask.stop.addEventListener('click', () => { if (ask.controller) ask.controller.abort(); });
  ask.answer.addEventListener('click', (event) => {
    const link = event.target.closest('a.cite');
    if (!link) return;
    event.preventDefault();
    jumpToSource(Number(link.dataset.source));
  });

  // ---------------------------------------------------------------- Documents

  const docs = {
    tokenInput: byId('api-token'), tokenForget: byId('token-forget'), tokenForm: byId('token-form'),
    uploadForm: byId('upload-form'), files: byId('upload-files'), uploadButton: byId('upload-button'),
    error: byId('docs-error'), status: byId('docs-status'), results: byId('upload-results'), list: byId('documents'),
    prev: byId('docs-prev'), next: byId('docs-next'), range: byId('docs-range'),
    dialog: byId('delete-dialog'), dialogText: byId('delete-text'),
    offset: 0, total: 0, loaded: false, pending: null,
  };

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function formatDate(text) {
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? String(text || '') : date.toLocaleString();
  }

  async function loadChunks(details, id) {
    if (details.dataset.loaded) return;
    details.dataset.loaded = 'yes';
    const box = details.querySelector('.chunks');
    box.replaceChildren(el('p', { class: 'hint', text: 'Loading…' }));
    const result = await api('GET', `/v1/documents/${id}`);
    box.replaceChildren();
    if (!result.ok) { delete details.dataset.loaded; showError(docs.error, result.error); return; }
    for (const chunk of result.data.chunks || []) {
      const body = el('div', { class: 'md' });
      body.append(Markdown.render(chunk.text || '', { citations: null }));
      const lines = Array.isArray(chunk.lines) ? `lines ${chunk.lines[0]}–${chunk.lines[1]}` : '';
      box.append(el('div', { class: 'chunk' },
        el('p', { class: 'chunk-heading', text: [chunk.heading, lines].filter(Boolean).join(' · ') }), body));
    }
  }

  function documentItem(doc) {
    const remove = el('button', { type: 'button', class: 'danger', 'data-id': doc.id, 'aria-label': `Delete ${doc.path}`, text: 'Delete' });
    remove.addEventListener('click', () => confirmDelete(doc));
    const details = el('details', null, el('summary', { text: 'Show chunks' }), el('div', { class: 'chunks' }));
    details.addEventListener('toggle', () => { if (details.open) loadChunks(details, doc.id); });
    const title = doc.title && doc.title !== doc.path ? el('span', { class: 'doc-title', text: doc.title }) : null;
    const meta = `#${doc.id} · ${doc.format} · ${doc.chunks} chunk${doc.chunks === 1 ? '' : 's'} · ${formatSize(doc.size)} · updated ${formatDate(doc.updated_at)}`;
    return el('li', { class: 'doc', 'data-id': doc.id, 'data-path': doc.path },
      el('div', { class: 'doc-head' },
        el('div', { class: 'doc-info' },
          el('div', null, el('span', { class: 'doc-path', text: doc.path }), title ? ' ' : null, title),
          el('div', { class: 'doc-meta', text: meta })),
        remove),
      details);
  }

  async function loadDocuments() {
    docs.status.textContent = 'Loading documents…';
    const result = await api('GET', `/v1/documents?limit=${PAGE_SIZE}&offset=${docs.offset}`);
    if (!result.ok) {
      docs.status.textContent = '';
      showError(docs.error, Object.assign({ title: 'Cannot list documents.' }, result.error));
      return;
    }
    const page = result.data;
    docs.total = page.total || 0;
    if (page.documents.length === 0 && docs.offset > 0) {
      docs.offset = Math.max(0, docs.offset - PAGE_SIZE);
      return loadDocuments();
    }
    docs.loaded = true;
    docs.list.replaceChildren(...page.documents.map(documentItem));
    const first = page.documents.length ? docs.offset + 1 : 0;
    docs.range.textContent = `${first}–${docs.offset + page.documents.length} of ${docs.total}`;
    docs.prev.disabled = docs.offset === 0;
    docs.next.disabled = docs.offset + page.documents.length >= docs.total;
    docs.status.textContent = docs.total ? '' : 'The knowledge base is empty: upload a runbook to start.';
  }

  function confirmDelete(doc) {
    docs.pending = doc;
    docs.dialogText.textContent = `“${doc.path}” and its ${doc.chunks} chunk${doc.chunks === 1 ? '' : 's'} will be removed from the knowledge base. This cannot be undone.`;
    docs.dialog.returnValue = '';
    docs.dialog.showModal();
  }

  docs.dialog.addEventListener('close', async () => {
    const doc = docs.pending;
    docs.pending = null;
    if (!doc || docs.dialog.returnValue !== 'delete') return;
    showError(docs.error, null);
    docs.status.textContent = `Deleting ${doc.path}…`;
    const result = await api('DELETE', `/v1/documents/${encodeURIComponent(doc.id)}`);
    if (!result.ok) {
      docs.status.textContent = '';
      showError(docs.error, Object.assign({ title: `Cannot delete ${doc.path}.` }, result.error));
      return;
    }
    await loadDocuments();
    docs.status.textContent = `Deleted ${result.data.path}.`;
    docs.list.focus();
  });

  function readText(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.addEventListener('load', () => resolve(String(reader.result)));
      reader.addEventListener('error', () => reject(reader.error || new Error('cannot read the file')));
      reader.readAsText(file);
    });
  }

  async function upload(files) {
    showError(docs.error, null);
    docs.results.replaceChildren();
    docs.uploadButton.disabled = true;
    let changed = false;
    try {
      for (const file of files) {
        const line = el('li', { text: `${file.name}: uploading…` });
        docs.results.append(line);
        const done = (ok, message) => { line.className = ok ? 'ok' : 'failed'; line.textContent = `${file.name}: ${message}`; };
        if (!/\.(md|markdown|txt)$/i.test(file.name)) { done(false, 'only .md and .txt files can be added'); continue; }
        let content;
        try { content = await readText(file); } catch (error) { done(false, `cannot read it (${error.message})`); continue; }
        const result = await api('POST', '/v1/documents', { path: file.name, content });
        if (!result.ok) {
          const error = result.error;
          done(false, `${error.message}${error.code ? ` (${error.code})` : ''}${error.hint ? ` ${error.hint}` : ''}`);
          continue;
        }
        changed = true;
        const data = result.data;
        done(true, `${data.status}, ${data.chunks} chunk${data.chunks === 1 ? '' : 's'} (#${data.id})`);
      }
    } finally {
      docs.uploadButton.disabled = false;
    }
    docs.files.value = '';
    if (changed) await loadDocuments();
    docs.status.textContent = 'Upload finished.';
  }

  docs.uploadForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const files = Array.from(docs.files.files || []);
    if (!files.length) { docs.status.textContent = 'Choose one or more .md or .txt files first.'; docs.files.focus(); return; }
    upload(files);
  });
  docs.tokenForm.addEventListener('submit', (event) => event.preventDefault());
  docs.tokenInput.value = token();
  docs.tokenInput.addEventListener('input', () => {
    const value = docs.tokenInput.value.trim();
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  });
  docs.tokenForget.addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    docs.tokenInput.value = '';
    docs.status.textContent = 'Token forgotten.';
    docs.tokenInput.focus();
  });
  docs.prev.addEventListener('click', () => { docs.offset = Math.max(0, docs.offset - PAGE_SIZE); loadDocuments(); });
  docs.next.addEventListener('click', () => { docs.offset += PAGE_SIZE; loadDocuments(); });
  docs.list.tabIndex = -1;

  // ---------------------------------------------------------------- Views

  function route(moveFocus) {
    const view = location.hash === '#documents' ? 'documents' : 'ask';
    show(byId('ask-view'), view === 'ask');
    show(byId('docs-view'), view === 'documents');
    for (const [name, link] of [['ask', byId('nav-ask')], ['documents', byId('nav-documents')]]) {
      if (name === view) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    document.title = view === 'documents' ? 'Documents · kb' : 'kb: answers from your runbooks';
    if (view === 'documents') {
      loadDocuments();
      if (moveFocus) byId('docs-heading').focus();
    } else if (moveFocus) {
      ask.question.focus();
    }
  }

  window.addEventListener('hashchange', () => {
    // Citation links are handled above; any other fragment (#ask, #documents) switches the view.
    if (location.hash === '#ask' || location.hash === '#documents' || location.hash === '') route(true);
  });
  route(false);
  if (location.hash !== '#documents') ask.question.focus();

  // For the browser test and for debugging from the console: the renderer alone, with no access to data.
  window.kb = Object.freeze({
    renderMarkdown: (text, citations) => Markdown.render(text, { citations: citations ? new Set(citations) : null, breaks: true }),
    safeHref: Markdown.safeHref,
  });
})();
"""##
}
