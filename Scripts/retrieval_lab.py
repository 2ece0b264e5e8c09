#!/usr/bin/env python3
"""Offline lab for kb's retrieval constants: re-ranks the candidates of a kb knowledge base under many settings.

It reads a knowledge base built by `kb ingest` (chunks, vectors, the FTS5 table; read-only) and question embeddings
made with `kb embed --json`, reproduces kb's vector, keyword and hybrid candidate lists, and scores fusion variants,
document aggregation, title boosts and refusal features per question file. It is how the constants in
Sources/KnowledgeBase/Query were chosen; `kb eval` confirms the chosen ones in Swift.

    kb ingest ../shared/eval/corpus/runbooks --db /tmp/kb-eval.sqlite
    Scripts/retrieval_lab.py --db /tmp/kb-eval.sqlite --kb .build/release/kb ranking|refusal|subsets \
        ../shared/eval/dev.jsonl Tests/Eval/heldout.jsonl Tests/Eval/refusal.jsonl

`ranking` prints hit@1/hit@5/MRR@10 for every fusion variant tried (RRF k and depth, weighted fusion, document
aggregation, name and identifier boosts); `refusal` prints how well each refusal feature separates answerable
from unanswerable questions and fits logistic rules on --fit, judged on the other files (and the reverse);
`subsets` checks the fitted rule on random shares of the corpus.
"""
import argparse
import json
import math
import os
import random
import re
import sqlite3
import subprocess
import sys

import numpy as np

STOP = set("""a an and are as at be been but by can do does for from has have how i if in into is it its my no not of on
or our should so that the their then there these this to was we what when where which who why will with you your""".split())


def words(text):
    out = []
    for raw in re.split(r"[^\w\-]+", text.lower()):
        word = raw.strip("_-")
        if word and word not in STOP:
            out.append(word)
    return out


def phrases(question):
    """FullText.matchExpression: each word, stop words dropped, split at _ and - into a phrase."""
    seen, result = set(), []
    for word in words(question):
        phrase = " ".join(p for p in re.split(r"[_\-\s]+", word) if p)
        if phrase and phrase not in seen:
            seen.add(phrase)
            result.append(phrase)
    return result


def load_questions(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def embed_all(kb, db, questions, cache_path):
    cache = json.load(open(cache_path)) if os.path.exists(cache_path) else {}
    for q in questions:
        if q["question"] not in cache:
            out = subprocess.run([kb, "embed", "--db", db, "--json", "--", q["question"]], capture_output=True, text=True,
                                 check=True).stdout
            cache[q["question"]] = json.loads(out)["embedding"]
    json.dump(cache, open(cache_path, "w"))
    return cache


class KB:
    def __init__(self, path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = self.db.execute("""SELECT c.id, c.document_id, d.path, d.title, c.heading, c.text
                                  FROM chunks c JOIN documents d ON d.id = c.document_id ORDER BY c.id""").fetchall()
        self.ids = np.array([r[0] for r in rows])
        self.row_of = {r[0]: i for i, r in enumerate(rows)}
        self.doc = [r[1] for r in rows]
        self.path = [r[2] for r in rows]
        self.title = [r[3] for r in rows]
        self.heading = [r[4] for r in rows]
        self.text = [r[5] for r in rows]
        vectors = {}
        for chunk_id, blob in self.db.execute("SELECT chunk_id, vector FROM vectors"):
            vectors[chunk_id] = np.frombuffer(blob, dtype="<f4")
        self.matrix = np.stack([vectors[i] for i in self.ids]).astype(np.float32)
        self.matrix /= np.linalg.norm(self.matrix, axis=1, keepdims=True)
        self.rows = len(rows)
        self.df_cache = {}

    def keyword(self, question, limit, context_weight=2.0):
        ps = phrases(question)
        if not ps:
            return []
        expression = " OR ".join(f'"{p}"' for p in ps)
        return [(self.row_of[r], s) for r, s in self.db.execute(
            "SELECT rowid, -bm25(chunks_fts, ?, 1.0) FROM chunks_fts WHERE chunks_fts MATCH ? "
            "ORDER BY bm25(chunks_fts, ?, 1.0) LIMIT ?", (context_weight, expression, context_weight, limit))]

    def df(self, phrase):
        if phrase not in self.df_cache:
            self.df_cache[phrase] = self.db.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                                                    (f'"{phrase}"',)).fetchone()[0]
        return self.df_cache[phrase]


def matches(path, target):
    return path == target or path.endswith("/" + target)


def doc_ranking(kb, chunk_rows):
    seen, docs = set(), []
    for r in chunk_rows:
        if kb.path[r] not in seen:
            seen.add(kb.path[r])
            docs.append(kb.path[r])
    return docs


def first_relevant(docs, relevant):
    for rank, path in enumerate(docs[:10], 1):
        if any(matches(path, t) for t in relevant):
            return rank
    return None


# ---- rankers: each returns chunk rows best first (and a fused score per row) ----

def rrf(vec, kw, k=60.0, depth=50, wv=1.0, wk=1.0):
    score = {}
    for rank, r in enumerate(vec[:depth]):
        score[r] = score.get(r, 0) + wv / (k + rank + 1)
    for rank, (r, _) in enumerate(kw[:depth]):
        score[r] = score.get(r, 0) + wk / (k + rank + 1)
    return score


def weighted(cos, vec, kw, alpha=0.5, depth=50):
    """Convex combination of min-max normalised cosine and BM25 over the union of candidates."""
    cand = set(vec[:depth]) | {r for r, _ in kw[:depth]}
    cos_vals = np.array([cos[r] for r in vec[:depth]])
    lo, hi = float(cos_vals.min()), float(cos_vals.max())
    bm = dict(kw[:depth])
    bm_hi = max(bm.values()) if bm else 1.0
    bm_lo = min(bm.values()) if bm else 0.0
    score = {}
    for r in cand:
        v = (cos[r] - lo) / (hi - lo) if hi > lo else 0.0
        b = ((bm[r] - bm_lo) / (bm_hi - bm_lo) if bm_hi > bm_lo else 1.0) if r in bm else 0.0
        score[r] = alpha * max(v, 0.0) + (1 - alpha) * b
    return score


def aggregate(kb, score, weight=0.0, mode="sum"):
    """Adds `weight` × the sum of the other candidate chunks' scores of the same document to each chunk's score."""
    if weight == 0:
        return score
    by_doc = {}
    for r, s in score.items():
        by_doc.setdefault(kb.doc[r], []).append(s)
    out = {}
    for r, s in score.items():
        others = sorted(by_doc[kb.doc[r]], reverse=True)
        others.remove(s)
        extra = sum(others) if mode == "sum" else (others[0] if others else 0)
        out[r] = s + weight * extra
    return out


def names(kb, r):
    """A chunk's document names as DocumentNames sees them: file stem and title (first heading), lower-cased."""
    stem = os.path.splitext(os.path.basename(kb.path[r]))[0].lower()
    title = kb.heading[r].split(" › ")[0].lower() if kb.heading[r] else ""
    title = re.sub(r"\s*\[.*$", "", title).strip()
    return stem, title


def identifiers(question):
    """camelCase / CamelCase / snake_case words of 4+ characters, lower-cased (DocumentNames.identifiers)."""
    out = set()
    for token in re.split(r"[^\w\-.]+", question):
        token = token.strip("._-")
        if len(token) >= 4 and ("_" in token or re.search(r"[a-z][A-Z]|[A-Z][A-Z][a-z]", token)):
            out.add(token.lower())
    return out


def named(kb, r, question):
    ids, lower = identifiers(question), question.lower()
    stem, title = names(kb, r)
    return (stem in ids or (title and (title in ids or title.replace(" ", "") in ids))
            or (len(title.split()) >= 3 and title in lower))


def name_boost(kb, score, question, boost):
    return {r: s + (boost if boost and named(kb, r, question) else 0) for r, s in score.items()}


def text_identifier_boost(kb, score, question, boost):
    """Rejected variant: lift chunks whose text contains an identifier of the question verbatim."""
    ids = {t for t in re.findall(r"--?[\w\-]+|[\w.\-]+", question)
           if len(t) >= 4 and (re.search(r"[a-z][A-Z]", t) or "_" in t or t.startswith("--"))}
    return {r: s + (boost if any(i in kb.text[r] for i in ids) else 0) for r, s in score.items()}


def document_rrf(kb, vec, kw, k=60.0, depth=50):
    """Rejected variant: fuse document rankings (a document ranks where its best chunk does)."""
    chunk = rrf(vec, kw, k=k, depth=depth)
    docs = {}
    for ranking in (doc_ranking(kb, vec[:depth]), doc_ranking(kb, [r for r, _ in kw[:depth]])):
        for rank, path in enumerate(ranking):
            docs[path] = docs.get(path, 0) + 1 / (k + rank + 1)
    return {r: docs.get(kb.path[r], 0) + 1e-3 * s for r, s in chunk.items()}


def order(score, cos):
    return sorted(score, key=lambda r: (-score[r], -cos[r]))


def evaluate(kb, runs, ranker):
    hits1 = hits5 = 0
    mrr = 0.0
    n = 0
    for run in runs:
        q = run["q"]
        if q["kind"] == "unanswerable":
            continue
        n += 1
        rank = first_relevant(doc_ranking(kb, ranker(run)), q["relevant"])
        hits1 += rank == 1
        hits5 += rank is not None and rank <= 5
        mrr += 1 / rank if rank else 0
    return hits1, hits5, n, mrr / max(n, 1)


def prepare(kb, questions, embeddings, depth=200):
    runs = []
    for q in questions:
        v = np.array(embeddings[q["question"]], dtype=np.float32)
        v /= np.linalg.norm(v)
        cos = kb.matrix @ v
        vec = list(np.argsort(-cos)[:depth])
        kw = kb.keyword(q["question"], depth)
        runs.append({"q": q, "cos": cos, "vec": vec, "kw": kw})
    return runs


# ---- reports ----

def table_row(kb, runs, label, ranker):
    cells = []
    for rs in runs.values():
        h1, h5, n, m = evaluate(kb, rs, ranker)
        cells.append(f"{h1:2}/{h5:2}/{n} {m:.3f}")
    print(f"{label:44}", "  ".join(cells))


def ranking_report(kb, runs, args):
    """hit@1/hit@5/answerable MRR@10 per question file for every fusion variant tried."""
    print(f"{'variant (hit@1/hit@5/n MRR@10 per file)':44}", "  ".join(f"{n:17}" for n in runs))
    table_row(kb, runs, "vector", lambda r: r["vec"])
    table_row(kb, runs, "keyword", lambda r: [x for x, _ in r["kw"]])
    for k in [10, 20, 40, 60, 100]:
        for depth in [20, 50, 100, 200]:
            table_row(kb, runs, f"rrf k={k} candidates={depth}",
                      lambda r: order(rrf(r["vec"], r["kw"], k=k, depth=depth), r["cos"]))
    for wk in [0.5, 1.5, 2]:
        table_row(kb, runs, f"rrf k=60 keyword weight {wk}", lambda r: order(rrf(r["vec"], r["kw"], wk=wk), r["cos"]))
    for alpha in [0.3, 0.4, 0.5, 0.6, 0.7]:
        for depth in [20, 50, 100]:
            table_row(kb, runs, f"weighted alpha={alpha} candidates={depth}",
                      lambda r: order(weighted(r["cos"], r["vec"], r["kw"], alpha=alpha, depth=depth), r["cos"]))
    for k in [60, 20]:
        base = lambda r: rrf(r["vec"], r["kw"], k=k, depth=50)  # noqa: E731
        for w in [0.1, 0.25, 0.5]:
            for mode in ["sum", "max"]:
                table_row(kb, runs, f"rrf k={k} + document aggregation {mode} {w}",
                          lambda r: order(aggregate(kb, base(r), w, mode), r["cos"]))
        table_row(kb, runs, f"rrf k={k} + document-level rrf", lambda r: order(document_rrf(kb, r["vec"], r["kw"], k), r["cos"]))
        b = 1 / (k + 1)
        table_row(kb, runs, f"rrf k={k} + name boost 1/(k+1)",
                  lambda r: order(name_boost(kb, base(r), r["q"]["question"], b), r["cos"]))
        table_row(kb, runs, f"rrf k={k} + text identifier boost 1/(k+1)",
                  lambda r: order(text_identifier_boost(kb, base(r), r["q"]["question"], b), r["cos"]))
    table_row(kb, runs, "weighted 0.5 + name boost 0.5",
              lambda r: order(name_boost(kb, weighted(r["cos"], r["vec"], r["kw"]), r["q"]["question"], 0.5), r["cos"]))


def features(kb, r):
    """Refusal features of one question: best cosine, term coverage, and the others tried."""
    q = r["q"]["question"]
    ps = phrases(q)
    cos = r["cos"]
    counts = {p: kb.df(p) for p in ps}
    fused = order(name_boost(kb, rrf(r["vec"], r["kw"], k=20), q, 1 / 21), cos)
    top_text = " " + " ".join(re.split(r"[^0-9a-z]+", (kb.path[fused[0]] + " " + kb.heading[fused[0]] + " "
                                                           + kb.text[fused[0]]).lower())) + " "
    vd, kd = doc_ranking(kb, r["vec"][:50]), doc_ranking(kb, [x for x, _ in r["kw"][:50]])
    second = next((cos[c] for c in r["vec"] if kb.path[c] != kb.path[r["vec"][0]]), 0)
    return {
        "top_cosine": float(cos[r["vec"][0]]),
        "coverage": sum(1 for p in ps if counts[p] > 0) / max(len(ps), 1),
        "coverage_in_top_chunk": sum(1 for p in ps if f" {p} " in top_text) / max(len(ps), 1),
        "top_bm25": r["kw"][0][1] if r["kw"] else 0.0,
        "vector_keyword_agree": float(bool(vd and vd[0] in kd[:5])),
        "margin": float(cos[r["vec"][0]] - second),
        "names_runbook": float(any(named(kb, c, q) for c in fused[:100])),
    }


def fit_logistic(x, y, l2=1e-2):
    """Class-balanced logistic regression by Newton's method; returns weights with the bias last."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    pos = y.sum()
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * (len(y) - pos)))
    reg = l2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
    for _ in range(100):
        p = 1 / (1 + np.exp(-xb @ w))
        w -= np.linalg.solve((xb * (sw * p * (1 - p))[:, None]).T @ xb + reg, xb.T @ (sw * (p - y)) + reg @ w)
    return w


def judge(w, x, y, named_flags):
    refuse = ((np.hstack([x, np.ones((len(x), 1))]) @ w) < 0) & (named_flags == 0)
    u = y == 0
    tp, fp = int((refuse & u).sum()), int((refuse & ~u).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    return f"precision {precision:.2f} recall {tp / u.sum():.2f} ({tp}/{u.sum()} refused, {fp}/{(~u).sum()} answerable refused)"


def refusal_report(kb, runs, args):
    """Separation (AUC) of each feature, then 1–3 feature rules fitted on --fit and judged on the other files."""
    rows = {name: [(r["q"]["kind"] != "unanswerable", features(kb, r)) for r in rs] for name, rs in runs.items()}
    keys = list(rows[next(iter(rows))][0][1])
    print("AUC (answerable above unanswerable) per feature:", ", ".join(rows))
    for key in keys:
        cells = []
        for name in rows:
            pos = [f[key] for a, f in rows[name] if a]
            neg = [f[key] for a, f in rows[name] if not a]
            auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / max(len(pos) * len(neg), 1)
            cells.append(f"{auc:.3f}")
        print(f"  {key:24}", "  ".join(cells))
    fit = [row for name, rs in rows.items() if name == args.fit for row in rs]
    rest = [row for name, rs in rows.items() if name != args.fit for row in rs]
    for model in [["top_cosine"], ["top_cosine", "coverage"], ["top_cosine", "coverage_in_top_chunk"],
                  ["top_cosine", "top_bm25"], ["top_cosine", "vector_keyword_agree"], ["top_cosine", "margin"],
                  ["top_cosine", "coverage", "vector_keyword_agree"]]:
        def data(sample):
            return (np.array([[f[k] for k in model] for _, f in sample]), np.array([1.0 if a else 0.0 for a, _ in sample]),
                    np.array([f["names_runbook"] for _, f in sample]))
        for directions, (train, test) in [("fit " + args.fit, (fit, rest)), ("fit the others", (rest, fit))]:
            x, y, _ = data(train)
            w = fit_logistic(x, y)
            xt, yt, nt = data(test)
            for label, flags in [("", np.zeros_like(nt)), (" +names", nt)]:
                print(f"{'+'.join(model) + label:40} {directions:22} w={np.round(w, 2)}  held out: "
                      f"{judge(w, xt, yt, flags)}")


def subsets_report(kb, runs, args, rule=(14.76, 13.37, -18.49)):
    """The fitted rule on random subsets of the corpus: a question whose runbook was left out becomes unanswerable."""
    docs = sorted(set(kb.path))
    questions = [r for rs in runs.values() for r in rs]
    for share in [0.05, 0.1, 0.25, 0.5]:
        for seed in [1, 2, 3]:
            keep = set(random.Random(seed).sample(docs, int(len(docs) * share)))
            rows = [i for i in range(kb.rows) if kb.path[i] in keep]
            fts = sqlite3.connect(":memory:")
            fts.execute("CREATE VIRTUAL TABLE f USING fts5(context, text, tokenize = 'unicode61 remove_diacritics 2')")
            fts.executemany("INSERT INTO f(rowid, context, text) VALUES (?, ?, ?)",
                            [(i, kb.path[i] + " " + kb.heading[i], kb.text[i]) for i in rows])
            counts = {"A": 0, "A refused": 0, "U": 0, "U refused": 0}
            for r in questions:
                q = r["q"]
                ps = phrases(q["question"])
                coverage = sum(1 for p in ps if fts.execute("SELECT 1 FROM f WHERE f MATCH ? LIMIT 1",
                                                            (f'"{p}"',)).fetchone()) / max(len(ps), 1)
                refuse = rule[0] * float(r["cos"][rows].max()) + rule[1] * coverage + rule[2] < 0
                answerable = q["kind"] != "unanswerable" and any(matches(d, t) for d in keep for t in q["relevant"])
                key = "A" if answerable else "U"
                counts[key] += 1
                counts[key + " refused"] += refuse
            print(f"share {share:4} seed {seed} ({len(rows):4} chunks): answerable refused {counts['A refused']}/{counts['A']}, "
                  f"unanswerable refused {counts['U refused']}/{counts['U']}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--kb", default=".build/release/kb")
    parser.add_argument("--cache", default="/tmp/kb-question-embeddings.json")
    parser.add_argument("--fit", default="refusal.jsonl", help="question file the refusal rule is fitted on")
    parser.add_argument("report", choices=["ranking", "refusal", "subsets"])
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    kb = KB(args.db)
    sets = {os.path.basename(f): load_questions(f) for f in args.files}
    embeddings = embed_all(args.kb, args.db, [q for qs in sets.values() for q in qs], args.cache)
    runs = {name: prepare(kb, qs, embeddings) for name, qs in sets.items()}
    {"ranking": ranking_report, "refusal": refusal_report, "subsets": subsets_report}[args.report](kb, runs, args)


if __name__ == "__main__":
    main()
