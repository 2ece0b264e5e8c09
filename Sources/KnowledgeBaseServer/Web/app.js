// kb web page. Document text and model output are untrusted: they only ever reach the page as text nodes
// (textContent, createTextNode) inside elements this script creates; links are made only for http(s) URLs, and
// relative links to runbooks (../network/dns.md) open the stored document in this page.
'use strict';
(() => {
  const TOKEN_KEY = 'kb.apiToken';
  const SETTINGS_KEY = 'kb.settings';
  const CONVERSATIONS_KEY = 'kb.conversations';
  const HISTORY_TURNS = 6;
  const MAX_CONVERSATIONS = 50;
  const MAX_TURNS = 50;
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
    const TABLE_DELIMITER = /^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
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
          parent.append(el('div', { class: 'code-block' },
            el('button', { type: 'button', class: 'copy-code', 'aria-label': 'Copy this code', text: 'Copy' }),
            el('pre', null, code)));
          continue;
        }
        if ((match = HEADING.exec(line))) {
          const heading = el(`h${Math.min(6, match[1].length + 2)}`);
          inline(match[2] || '', heading, options);
          parent.append(heading);
          i++;
          continue;
        }
        if (line.includes('|') && i + 1 < lines.length && lines[i + 1].includes('-') && TABLE_DELIMITER.test(lines[i + 1])
            && cells(line).length === cells(lines[i + 1]).length) {
          i = table(lines, i, parent, options);
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

    /** The cells of a table row: split on | outside code spans, without the outer pipes. */
    function cells(line) {
      const result = [];
      let cell = '', code = false;
      const text = line.trim().replace(/^\|/, '').replace(/(^|[^\\])\|$/, '$1');
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === '\\' && text[i + 1] === '|') { cell += '|'; i++; continue; }
        if (c === '`') code = !code;
        if (c === '|' && !code) { result.push(cell.trim()); cell = ''; continue; }
        cell += c;
      }
      result.push(cell.trim());
      return result;
    }

    /** A GFM table: a header row, the delimiter row, then rows until a blank line or a line without |. */
    function table(lines, i, parent, options) {
      const header = cells(lines[i]);
      const aligns = cells(lines[i + 1]).map((d) => (d.endsWith(':') ? (d.startsWith(':') ? 'center' : 'right') : d.startsWith(':') ? 'left' : null));
      const row = (values, tag) => el('tr', null, ...header.map((_, column) => {
        const cell = el(tag, aligns[column] ? { 'data-align': aligns[column] } : null);
        inline(values[column] || '', cell, options);
        return cell;
      }));
      const body = el('tbody');
      for (i += 2; i < lines.length && !isBlank(lines[i]) && lines[i].includes('|'); i++) body.append(row(cells(lines[i]), 'td'));
      parent.append(el('div', { class: 'table-wrap' }, el('table', null, el('thead', null, row(header, 'th')), body)));
      return i;
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

    /** A relative link to a runbook (`../network/dns.md`, `dns.md#flush`): its path, or null. Anything with a scheme,
     *  an absolute or protocol-relative path, or another file type is not one. */
    function runbookTarget(raw) {
      const text = String(raw).trim();
      if (!text || /^[a-z][a-z0-9+.-]*:/i.test(text) || /^[/\\]/.test(text) || /[\s\\\u0000-\u001f]/.test(text)) return null;
      const path = text.split('#')[0].split('?')[0];
      if (!/\.(md|markdown|txt)$/i.test(path)) return null;
      try { return decodeURIComponent(path); } catch (_) { return null; }
    }

    function runbookLink(target, parent, label, options) {
      const a = el('a', { class: 'runbook-link', href: '#runbook', 'data-target': target, 'data-base': (options.bases || []).join('\n'),
                          title: `Open ${target} in this page` });
      inline(label, a, Object.assign({}, options, { inLink: true }));
      parent.append(a);
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
            const target = href || options.inLink || c === '!' ? null : runbookTarget(link.destination);
            if (href && !options.inLink) {
              externalLink(href, parent, link.label, options);
            } else if (target) {
              runbookLink(target, parent, link.label, options);
            } else {
              // Not an http(s) link (javascript:, data:, relative…): shown as the text it is.
              parent.append(el('span', {
                class: 'blocked-link',
                title: 'Not a link: only http(s) links and relative links to runbooks are followed',
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

    return { render, safeHref, runbookTarget };
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

  // ---------------------------------------------------------------- Browser storage

  /** The JSON under `key` in localStorage, or `fallback` when it is missing or unreadable. */
  function readJSON(key, fallback) {
    try {
      const value = JSON.parse(localStorage.getItem(key) || 'null');
      return value === null ? fallback : value;
    } catch (_) {
      return fallback;
    }
  }

  /** False when localStorage is full or disabled. */
  function writeJSON(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (_) { return false; }
  }

  // ---------------------------------------------------------------- Settings (mode, k, template, chat model)

  const settings = {
    panel: byId('settings'), mode: byId('setting-mode'), k: byId('setting-k'), template: byId('setting-template'),
    model: byId('setting-model'), status: byId('settings-status'), modelsLoaded: false,
  };
  const MODES = ['hybrid', 'vector', 'keyword'];

  function setModelOptions(names, selected) {
    const options = [el('option', { value: '', text: 'Server default' })];
    for (const name of names) options.push(el('option', { value: name, text: name }));
    if (selected && !names.includes(selected)) {
      options.push(el('option', { value: selected, text: `${selected} (not listed by the server)` }));
    }
    settings.model.replaceChildren(...options);
    settings.model.value = selected || '';
  }

  function loadSettings() {
    const saved = readJSON(SETTINGS_KEY, {}) || {};
    settings.mode.value = MODES.includes(saved.mode) ? saved.mode : '';
    settings.k.value = Number.isInteger(saved.k) && saved.k >= 1 && saved.k <= 100 ? String(saved.k) : '';
    settings.template.value = typeof saved.template === 'string' ? saved.template : '';
    setModelOptions([], typeof saved.model === 'string' ? saved.model : '');
  }

  /** The settings as /v1/ask fields, or `error` (for a person) and the `field` to fix. */
  function askSettings() {
    const fields = {};
    if (MODES.includes(settings.mode.value)) fields.mode = settings.mode.value;
    const k = settings.k.value.trim();
    if (k) {
      if (!/^\d{1,3}$/.test(k) || Number(k) < 1 || Number(k) > 100) {
        return { error: `Sources (k) is "${k}": it must be a whole number from 1 to 100 (or empty for the server's default).`, field: settings.k };
      }
      fields.k = Number(k);
    }
    const template = settings.template.value.trim();
    if (template) fields.template = template;
    if (settings.model.value) fields.model = settings.model.value;
    return { fields };
  }

  function saveSettings() {
    const chosen = askSettings();
    settings.status.textContent = chosen.error || 'Saved in this browser.';
    if (chosen.error) return;
    const fields = chosen.fields;
    writeJSON(SETTINGS_KEY, { mode: fields.mode || '', k: fields.k || null, template: fields.template || '', model: fields.model || '' });
  }

  /** The chat models Ollama has (GET /v1/models without kb's grounded names), once, when the settings open. */
  async function loadModels() {
    if (settings.modelsLoaded) return;
    settings.modelsLoaded = true;
    const result = await api('GET', '/v1/models');
    if (!result.ok) {
      settings.modelsLoaded = false;
      settings.status.textContent = `Cannot list the chat models: ${result.error.message}`;
      return;
    }
    const names = (Array.isArray(result.data.data) ? result.data.data : [])
      .filter((m) => m && typeof m.id === 'string' && m.owned_by !== 'kb').map((m) => m.id);
    setModelOptions(names, settings.model.value);
    settings.model.dataset.loaded = String(names.length);
  }

  for (const input of [settings.mode, settings.model]) input.addEventListener('change', saveSettings);
  for (const input of [settings.k, settings.template]) input.addEventListener('change', saveSettings);
  settings.panel.addEventListener('toggle', () => { if (settings.panel.open) loadModels(); });
  loadSettings();

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
    ask.answer.replaceChildren(Markdown.render(ask.text, {
      citations: sourceNumbers(), invalid, breaks: true, bases: ask.sourceList.map((s) => String(s.path || '')),
    }));
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
      body.append(Markdown.render(source.text || '', { citations: null, bases: [String(source.path || '')] }));
      const lines = Array.isArray(source.lines) && source.lines.length === 2 ? source.lines : null;
      body.append(el('p', { class: 'lines' },
        lines ? `${source.path}, lines ${lines[0]}–${lines[1]} ` : '',
        openRunbookButton(source.path, lines, lines ? 'Open the runbook at these lines' : 'Open the runbook')));
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

  /** A button that opens the stored document `path` in this page, scrolled to `lines` ([first, last]) if given. */
  function openRunbookButton(path, lines, label, source) {
    return el('button', {
      type: 'button', class: 'open-runbook', 'data-path': path, 'data-source': source || null,
      'data-first': lines ? lines[0] : null, 'data-last': lines ? lines[1] : null, text: label,
    });
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
    talk.asked.textContent = '';
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

  // ---------------------------------------------------------------- Conversations (kept in localStorage)

  const talk = {
    newButton: byId('new-conversation'), panel: byId('conversations-panel'), list: byId('conversations'),
    count: byId('conversation-count'), thread: byId('thread'), asked: byId('answer-question'),
    all: [], current: null, epoch: 0,
  };

  function loadConversations() {
    const saved = readJSON(CONVERSATIONS_KEY, []);
    talk.all = (Array.isArray(saved) ? saved : [])
      .filter((c) => c && typeof c.id === 'string' && Array.isArray(c.turns) && c.turns.length);
  }

  function saveConversations() {
    talk.all.sort((a, b) => b.updated - a.updated);
    talk.all = talk.all.slice(0, MAX_CONVERSATIONS);
    // A full localStorage drops the oldest conversations until the rest fit.
    while (!writeJSON(CONVERSATIONS_KEY, talk.all) && talk.all.length > 1) talk.all.pop();
    renderConversationList();
  }

  function renderConversationList() {
    talk.count.textContent = String(talk.all.length);
    talk.list.replaceChildren(...talk.all.map((c) => {
      const open = el('button', { type: 'button', class: 'conversation-open', 'data-id': c.id, text: c.title || 'Untitled' });
      if (talk.current && talk.current.id === c.id) open.setAttribute('aria-current', 'true');
      const when = formatDate(c.updated);
      const meta = el('span', { class: 'hint', text: `${c.turns.length} question${c.turns.length === 1 ? '' : 's'} · ${when}` });
      const remove = el('button', { type: 'button', class: 'danger conversation-delete', 'data-id': c.id,
                                    'aria-label': `Delete conversation ${c.title}`, text: 'Delete' });
      return el('li', { class: 'conversation', 'data-id': c.id }, el('div', { class: 'conversation-info' }, open, meta), remove);
    }));
  }

  /** The earlier exchanges sent with a follow-up, as `kb chat` sends them: answered turns only, the last few. */
  function historyMessages() {
    if (!talk.current) return [];
    return talk.current.turns.filter((t) => t.state === 'done' && !t.refused && t.answer).slice(-HISTORY_TURNS)
      .flatMap((t) => [{ role: 'user', content: t.question }, { role: 'assistant', content: t.answer }]);
  }

  function recordTurn(question, state) {
    if (!talk.current) {
      const now = Date.now();
      talk.current = { id: `c${now.toString(36)}${Math.random().toString(36).slice(2, 8)}`, title: question.slice(0, 100),
                       created: now, updated: now, turns: [] };
      talk.all.unshift(talk.current);
    }
    talk.current.turns.push({
      question, answer: ask.text, state, refused: !!(ask.done && ask.done.refused),
      sources: ask.sourceList.map(({ number, path, heading, score, text, lines }) => ({ number, path, heading, score, text, lines })),
      citations: ask.done ? (ask.done.citations || []).map((c) => c.number) : [],
      invalid: ask.done ? ask.done.invalid_citations || [] : [],
    });
    talk.current.turns = talk.current.turns.slice(-MAX_TURNS);
    talk.current.updated = Date.now();
    saveConversations();
  }

  function threadItem(turn) {
    const answer = el('div', { class: 'md turn-answer' });
    answer.append(Markdown.render(turn.answer || '', { citations: null, breaks: true, bases: (turn.sources || []).map((s) => s.path) }));
    const sources = (turn.sources || []).map((s) => el('li', null,
      openRunbookButton(s.path, Array.isArray(s.lines) ? s.lines : null, `[${s.number}] ${s.path}${s.heading ? ` › ${s.heading}` : ''}`)));
    const note = turn.state === 'done' ? (turn.refused ? 'Not in the runbooks.' : '') : `(${turn.state})`;
    return el('li', { class: 'turn' },
      el('p', { class: 'asked', text: turn.question }),
      note ? el('p', { class: 'hint', text: note }) : null,
      answer,
      sources.length ? el('details', { class: 'turn-sources' }, el('summary', { text: `Sources (${sources.length})` }), el('ul', null, ...sources)) : null);
  }

  /** The earlier turns of the current conversation above the answer; `all` false leaves out the last (shown below). */
  function renderThread(all) {
    const turns = talk.current ? talk.current.turns : [];
    talk.thread.replaceChildren(...(all ? turns : turns.slice(0, -1)).map(threadItem));
    show(talk.thread, talk.thread.children.length > 0);
  }

  /** A stored turn in the answer panel, as it was when it finished. */
  function showTurn(turn) {
    resetAnswer();
    talk.asked.textContent = turn.question;
    ask.text = turn.answer || '';
    ask.sourceList = Array.isArray(turn.sources) ? turn.sources : [];
    if (turn.state === 'done') {
      ask.done = { citations: (turn.citations || []).map((number) => ({ number })), invalid_citations: turn.invalid || [], refused: !!turn.refused };
    }
    renderSources();
    renderAnswer();
    if (ask.done) markCited(ask.done.citations);
    show(ask.refusal, !!turn.refused);
    show(ask.answerSection, true);
    ask.answer.dataset.state = turn.state || 'done';
  }

  function stopAnswer() {
    talk.epoch++;  // a stream still running belongs to the conversation it started in, and is not recorded
    if (ask.controller) ask.controller.abort();
  }

  function newConversation() {
    stopAnswer();
    talk.current = null;
    renderThread(true);
    resetAnswer();
    ask.status.textContent = 'New conversation.';
    renderConversationList();
    ask.question.focus();
  }

  function openConversation(id) {
    const conversation = talk.all.find((c) => c.id === id);
    if (!conversation) return;
    stopAnswer();
    talk.current = conversation;
    renderThread(false);
    showTurn(conversation.turns[conversation.turns.length - 1]);
    renderConversationList();
    ask.status.textContent = `Conversation “${conversation.title}”: ${conversation.turns.length} question${conversation.turns.length === 1 ? '' : 's'}. Follow-ups continue it.`;
    talk.panel.open = false;
    ask.question.focus();
  }

  function deleteConversation(id) {
    const conversation = talk.all.find((c) => c.id === id);
    if (!conversation) return;
    talk.all = talk.all.filter((c) => c.id !== id);
    if (talk.current && talk.current.id === id) newConversation();
    saveConversations();
    ask.status.textContent = `Deleted the conversation “${conversation.title}”.`;
  }

  talk.newButton.addEventListener('click', newConversation);
  talk.list.addEventListener('click', (event) => {
    const open = event.target.closest('button.conversation-open');
    if (open) { openConversation(open.dataset.id); return; }
    const remove = event.target.closest('button.conversation-delete');
    if (remove) deleteConversation(remove.dataset.id);
  });
  window.addEventListener('storage', (event) => {
    // Another tab saved its conversations: show them here too, keeping the one open in this tab.
    if (event.key !== CONVERSATIONS_KEY) return;
    const open = talk.current && talk.current.id;
    loadConversations();
    talk.current = talk.all.find((c) => c.id === open) || talk.current;
    renderConversationList();
  });

  async function submitQuestion() {
    const question = ask.question.value.trim();
    if (!question) { ask.question.focus(); ask.status.textContent = 'Type a question first.'; return; }
    const chosen = askSettings();
    if (chosen.error) {
      settings.panel.open = true;
      settings.status.textContent = chosen.error;
      ask.status.textContent = `Not asked: ${chosen.error}`;
      chosen.field.focus();
      return;
    }
    stopAnswer();
    const epoch = talk.epoch;
    const history = historyMessages();
    const controller = new AbortController();
    ask.controller = controller;
    renderThread(true);
    resetAnswer();
    talk.asked.textContent = question;
    ask.question.value = '';
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
        body: JSON.stringify(Object.assign({ question }, chosen.fields, history.length ? { history } : {})),
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
      if (epoch !== talk.epoch) return;  // replaced by a newer question or another conversation: leave its answer alone
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
      const state = ask.answer.dataset.state;
      if (epoch === talk.epoch && (ask.done || ask.text) && ['done', 'error', 'stopped'].includes(state)) {
        recordTurn(question, state);
      }
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
  loadConversations();
  renderConversationList();
  renderThread(true);
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

  function metadataLine(metadata) {
    if (!metadata || typeof metadata !== 'object' || !Object.keys(metadata).length) return null;
    return el('div', { class: 'doc-meta doc-metadata', text: Object.entries(metadata).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ') });
  }

  function documentItem(doc) {
    const remove = el('button', { type: 'button', class: 'danger', 'data-id': doc.id, 'aria-label': `Delete ${doc.path}`, text: 'Delete' });
    const open = openRunbookButton(doc.path, null, 'Open', doc.source);
    open.setAttribute('aria-label', `Open ${doc.path}`);
    remove.addEventListener('click', () => confirmDelete(doc));
    const details = el('details', null, el('summary', { text: 'Show chunks' }), el('div', { class: 'chunks' }));
    details.addEventListener('toggle', () => { if (details.open) loadChunks(details, doc.id); });
    const title = doc.title && doc.title !== doc.path ? el('span', { class: 'doc-title', text: doc.title }) : null;
    const meta = `#${doc.id} · ${doc.format} · ${doc.chunks} chunk${doc.chunks === 1 ? '' : 's'} · ${formatSize(doc.size)} · updated ${formatDate(doc.updated_at)}`;
    return el('li', { class: 'doc', 'data-id': doc.id, 'data-path': doc.path },
      el('div', { class: 'doc-head' },
        el('div', { class: 'doc-info' },
          el('div', null, el('span', { class: 'doc-path', text: doc.path }), title ? ' ' : null, title),
          el('div', { class: 'doc-meta', text: meta }),
          metadataLine(doc.metadata)),
        el('div', { class: 'doc-buttons' }, open, remove)),
      details);
  }

  const filters = {
    form: byId('docs-filter-form'), text: byId('docs-filter'), source: byId('docs-source'), meta: byId('docs-meta'),
    timer: null, matches: null,
  };
  const MAX_SCAN = 10000;

  /** `team=storage, tier` as [{key: 'team', value: 'storage'}, {key: 'tier', value: null}]; throws on `=x`. */
  function metadataFilter(text) {
    const pairs = [];
    for (const part of String(text).split(',').map((p) => p.trim()).filter(Boolean)) {
      const at = part.indexOf('=');
      const key = (at < 0 ? part : part.slice(0, at)).trim();
      if (!key) throw new Error(`“${part}” has no key: write key=value, e.g. team=storage`);
      pairs.push({ key, value: at < 0 ? null : part.slice(at + 1).trim() });
    }
    return pairs;
  }

  function metadataMatches(metadata, pairs) {
    const data = metadata && typeof metadata === 'object' ? metadata : {};
    return pairs.every(({ key, value }) => {
      if (!Object.prototype.hasOwnProperty.call(data, key)) return false;
      if (value === null) return true;
      const held = data[key];
      const values = Array.isArray(held) ? held : [held];
      return values.some((v) => (typeof v === 'string' ? v : JSON.stringify(v)) === value);
    });
  }

  function textMatches(doc, needle) {
    return [doc.path, doc.title, JSON.stringify(doc.metadata || {})].join('\n').toLowerCase().includes(needle);
  }

  /** The sources the documents come from, for the filter (from the first 1000 documents). */
  async function loadSources() {
    const result = await api('GET', '/v1/documents?limit=1000');
    if (!result.ok) return;
    const names = [...new Set(result.data.documents.map((d) => d.source))].sort();
    const selected = filters.source.value;
    filters.source.replaceChildren(el('option', { value: '', text: 'All sources' }),
      ...names.map((name) => el('option', { value: name, text: name })));
    if (selected && !names.includes(selected)) filters.source.append(el('option', { value: selected, text: selected }));
    filters.source.value = selected;
  }

  async function loadDocuments() {
    showError(docs.error, null);
    let pairs;
    try {
      pairs = metadataFilter(filters.meta.value);
    } catch (error) {
      showError(docs.error, { title: 'Metadata filter:', message: error.message });
      return;
    }
    const needle = filters.text.value.trim().toLowerCase();
    const source = filters.source.value ? `&source=${encodeURIComponent(filters.source.value)}` : '';
    if (!needle && !pairs.length) {
      filters.matches = null;
      return loadPage(source);
    }
    // A filter on path, title or metadata: read the list (up to MAX_SCAN documents) and filter it here.
    docs.status.textContent = 'Searching the documents…';
    const matches = [];
    let scanned = 0, total = 0;
    do {
      const result = await api('GET', `/v1/documents?limit=1000&offset=${scanned}${source}`);
      if (!result.ok) {
        docs.status.textContent = '';
        showError(docs.error, Object.assign({ title: 'Cannot list documents.' }, result.error));
        return;
      }
      total = result.data.total || 0;
      const page = result.data.documents || [];
      scanned += page.length;
      for (const doc of page) if ((!needle || textMatches(doc, needle)) && metadataMatches(doc.metadata, pairs)) matches.push(doc);
      if (!page.length) break;
    } while (scanned < total && scanned < MAX_SCAN);
    filters.matches = matches;
    if (docs.offset >= matches.length) docs.offset = Math.max(0, Math.floor((matches.length - 1) / PAGE_SIZE) * PAGE_SIZE);
    const shown = matches.slice(docs.offset, docs.offset + PAGE_SIZE);
    docs.loaded = true;
    docs.total = matches.length;
    docs.list.replaceChildren(...shown.map(documentItem));
    const first = shown.length ? docs.offset + 1 : 0;
    docs.range.textContent = `${first}–${docs.offset + shown.length} of ${matches.length} matching`;
    docs.prev.disabled = docs.offset === 0;
    docs.next.disabled = docs.offset + shown.length >= matches.length;
    const capped = scanned < total ? ` (searched the first ${scanned} of ${total})` : '';
    docs.status.textContent = matches.length ? `${matches.length} of ${total} documents match${capped}.` : `No document matches${capped}.`;
  }

  async function loadPage(source) {
    docs.status.textContent = 'Loading documents…';
    const result = await api('GET', `/v1/documents?limit=${PAGE_SIZE}&offset=${docs.offset}${source}`);
    if (!result.ok) {
      docs.status.textContent = '';
      showError(docs.error, Object.assign({ title: 'Cannot list documents.' }, result.error));
      return;
    }
    const page = result.data;
    docs.total = page.total || 0;
    if (page.documents.length === 0 && docs.offset > 0) {
      docs.offset = Math.max(0, docs.offset - PAGE_SIZE);
      return loadPage(source);
    }
    docs.loaded = true;
    docs.list.replaceChildren(...page.documents.map(documentItem));
    const first = page.documents.length ? docs.offset + 1 : 0;
    docs.range.textContent = `${first}–${docs.offset + page.documents.length} of ${docs.total}`;
    docs.prev.disabled = docs.offset === 0;
    docs.next.disabled = docs.offset + page.documents.length >= docs.total;
    docs.status.textContent = docs.total ? '' : source ? 'No documents in this source.' : 'The knowledge base is empty: upload a runbook to start.';
  }

  function filterSoon() {
    clearTimeout(filters.timer);
    filters.timer = setTimeout(() => { docs.offset = 0; loadDocuments(); }, 200);
  }

  filters.form.addEventListener('submit', (event) => { event.preventDefault(); clearTimeout(filters.timer); docs.offset = 0; loadDocuments(); });
  filters.text.addEventListener('input', filterSoon);
  filters.meta.addEventListener('input', filterSoon);
  filters.source.addEventListener('change', () => { docs.offset = 0; loadDocuments(); });

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
    await loadSources();
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
    if (changed) { await loadSources(); await loadDocuments(); }
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

  // ---------------------------------------------------------------- Runbook view (a whole stored document)

  const book = {
    view: byId('runbook-view'), heading: byId('runbook-heading'), meta: byId('runbook-meta'), error: byId('runbook-error'),
    body: byId('runbook-body'), back: byId('runbook-back'), opened: false, returnTo: '#ask', request: 0,
  };

  function documentURL(path, source) {
    const query = source ? `?source=${encodeURIComponent(source)}` : '';
    return `/v1/documents/by-path/${path.split('/').map(encodeURIComponent).join('/')}${query}`;
  }

  /** `relative` (a link in `base`, a document path) as a document path: `../network/dns.md` in `platform/disk.md`
   *  is `network/dns.md`. Never climbs above the root. */
  function resolvePath(base, relative) {
    const parts = base ? base.split('/').slice(0, -1) : [];
    for (const part of relative.split('/')) {
      if (part === '..') parts.pop();
      else if (part && part !== '.') parts.push(part);
    }
    return parts.join('/');
  }

  function linkCandidates(target, bases) {
    return [...new Set([...bases.filter(Boolean).map((base) => resolvePath(base, target)), resolvePath('', target)])];
  }

  /** Opens the first of `paths` that is stored, scrolled to and highlighting the chunks of `lines`. */
  async function openRunbook(paths, lines, source) {
    const request = ++book.request;
    book.opened = true;
    showError(book.error, null);
    book.heading.textContent = paths[0];
    book.meta.textContent = '';
    book.body.replaceChildren(el('p', { class: 'hint', text: 'Loading…' }));
    book.view.dataset.state = 'loading';
    if (location.hash !== '#runbook') {
      book.returnTo = location.hash === '#documents' ? '#documents' : '#ask';
      location.hash = '#runbook';
    }
    let last = null;
    for (const path of paths) {
      const result = await api('GET', documentURL(path, source));
      if (request !== book.request) return;
      if (result.ok) { renderRunbook(result.data, lines); return; }
      last = result.error;
      if (result.error.status !== 404) break;
    }
    book.body.replaceChildren();
    book.view.dataset.state = 'error';
    const missing = last && last.status === 404;
    showError(book.error, missing
      ? { title: 'Not in the knowledge base.', message: `No stored document ${paths.length > 1 ? `at any of ${paths.join(', ')}` : paths[0]}: the link points to a runbook that is not indexed.` }
      : Object.assign({ title: `Cannot open ${paths[0]}.` }, last));
  }

  function renderRunbook(data, lines) {
    const doc = data.document || {};
    const chunks = Array.isArray(data.chunks) ? data.chunks : [];
    book.heading.textContent = doc.title && doc.title !== doc.path ? `${doc.title} (${doc.path})` : String(doc.path);
    book.meta.textContent = `source ${doc.source} · ${chunks.length} chunk${chunks.length === 1 ? '' : 's'} · updated ${formatDate(doc.updated_at)}`
      + (lines ? ` · showing lines ${lines[0]}–${lines[1]}` : '');
    let first = null;
    book.body.replaceChildren(...chunks.map((chunk) => {
      const range = Array.isArray(chunk.lines) && chunk.lines.length === 2 ? chunk.lines : [0, 0];
      const hit = !!lines && range[0] <= lines[1] && range[1] >= lines[0];
      const body = el('div', { class: 'md' });
      body.append(Markdown.render(chunk.text || '', { citations: null, bases: [String(doc.path)] }));
      const section = el('section', {
        class: hit ? 'runbook-chunk highlight' : 'runbook-chunk', 'data-first': range[0], 'data-last': range[1],
        tabindex: hit ? '-1' : null, 'aria-label': hit ? `cited lines ${range[0]}–${range[1]}` : null,
      }, el('p', { class: 'chunk-heading', text: [chunk.heading, `lines ${range[0]}–${range[1]}`].filter(Boolean).join(' · ') }), body);
      if (hit && !first) first = section;
      return section;
    }));
    book.view.dataset.state = 'shown';
    book.view.dataset.path = String(doc.path);
    if (first) {
      first.scrollIntoView({ block: 'start' });
      first.focus({ preventScroll: true });
    } else {
      window.scrollTo(0, 0);
      book.heading.focus({ preventScroll: true });
    }
  }

  book.back.addEventListener('click', () => { location.hash = book.returnTo; });

  // ---------------------------------------------------------------- Copy buttons, runbook links, open buttons

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return; }
    // Plain http on another host is no secure context, so no Clipboard API: copy a selection instead.
    const area = el('textarea', { class: 'visually-hidden', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    const copied = document.execCommand('copy');
    area.remove();
    if (!copied) throw new Error('the browser did not allow copying');
  }

  document.addEventListener('click', (event) => {
    const copy = event.target.closest('button.copy-code');
    if (copy) {
      const code = copy.parentElement.querySelector('pre code');
      copyText(code ? code.textContent : '').then(() => {
        copy.textContent = 'Copied';
        copy.dataset.copied = 'yes';
        setTimeout(() => { copy.textContent = 'Copy'; delete copy.dataset.copied; }, 2000);
      }, (error) => {
        copy.textContent = 'Copy failed';
        copy.title = `Select the text and copy it by hand (${error && error.message || error})`;
      });
      return;
    }
    const link = event.target.closest('a.runbook-link');
    if (link) {
      event.preventDefault();
      const bases = link.dataset.base ? link.dataset.base.split('\n') : [];
      openRunbook(linkCandidates(link.dataset.target, bases), null);
      return;
    }
    const open = event.target.closest('button.open-runbook');
    if (open) {
      const lines = open.dataset.first ? [Number(open.dataset.first), Number(open.dataset.last)] : null;
      openRunbook([open.dataset.path], lines, open.dataset.source);
    }
  });

  // ---------------------------------------------------------------- Views

  function route(moveFocus) {
    const view = location.hash === '#documents' ? 'documents' : location.hash === '#runbook' && book.opened ? 'runbook' : 'ask';
    show(byId('ask-view'), view === 'ask');
    show(byId('docs-view'), view === 'documents');
    show(book.view, view === 'runbook');
    for (const [name, link] of [['ask', byId('nav-ask')], ['documents', byId('nav-documents')]]) {
      if (name === view) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    document.title = view === 'documents' ? 'Documents · kb' : view === 'runbook' ? `${book.heading.textContent} · kb` : 'kb: answers from your runbooks';
    if (view === 'documents') {
      loadSources();
      loadDocuments();
      if (moveFocus) byId('docs-heading').focus();
    } else if (view === 'runbook') {
      if (moveFocus && !book.view.contains(document.activeElement)) book.heading.focus({ preventScroll: true });
    } else if (moveFocus) {
      ask.question.focus();
    }
  }

  window.addEventListener('hashchange', () => {
    // Citation links are handled above; any other fragment (#ask, #documents, #runbook) switches the view.
    if (['#ask', '#documents', '#runbook', ''].includes(location.hash)) route(true);
  });
  route(false);
  if (location.hash !== '#documents') ask.question.focus();

  // For the browser test and for debugging from the console: the renderer alone, with no access to data.
  window.kb = Object.freeze({
    renderMarkdown: (text, citations) => Markdown.render(text, { citations: citations ? new Set(citations) : null, breaks: true }),
    safeHref: Markdown.safeHref,
    runbookTarget: Markdown.runbookTarget,
    resolvePath,
  });
})();
