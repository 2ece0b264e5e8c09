#!/usr/bin/env python3
"""Regenerates the built-in embedder's test fixtures from the reference implementations.

    /tmp/embenv/bin/python Scripts/minilm-fixtures.py      (the venv of ../shared/tools/ollama-minilm/setup.sh)

Writes, under Tests/KnowledgeBaseTests/Embedding/Fixtures/:
  minilm-tokens.json   token ids (no [CLS]/[SEP]) from Hugging Face `tokenizers` with the model's tokenizer.json
  minilm-vectors.json  L2-normalised vectors from the numpy forward pass (../shared/tools/ollama-minilm/minilm.py,
                       the server kb's integration tests run against), as base64 little-endian float32, 512-token cut
"""
import base64, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(os.path.dirname(ROOT), "shared", "tools", "ollama-minilm")
OUT = os.path.join(ROOT, "Tests", "KnowledgeBaseTests", "Embedding", "Fixtures")
sys.path.insert(0, TOOL)

import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
from minilm import MiniLM  # noqa: E402

RUNBOOK = open(os.path.join(ROOT, "Corpus", "platform", "disk-full.md"), encoding="utf-8").read()

TOKEN_TEXTS = [
    "", "   \n\t  ", "why is the sky blue?", "The disk is full and writes fail with ENOSPC.",
    # accents and case
    "Café résumé naïve coöperate Ångström façade", "ÀÉÎÕÜ àéîõü ÇçÑñ", "Tiếng Việt có dấu", "Zażółć gęślą jaźń",
    "Straße GRÖSSE Maße", "İstanbul ıIiİ", "Ελληνικά ΣΑΣ ς ΐ", "Привет, мир! Ёжик", "e\u0301 a\u0308\u0323 n\u0303",
    "ﬁle ﬂow ﬃ", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ １２３", "Ⅻ ① ½ ¾ ²³", "ǅungla ǈ ǋ",
    # CJK and other scripts
    "日本語のテキストです。", "中文测试，数据库连接失败。", "한국어 텍스트 처리", "kubectl get pods 在集群中运行",
    "𠀀𪜀𫝀 rare ideographs", "\uf900\ufa0b compatibility ideographs", "مرحبا بالعالم", "שלום עולם",
    "नमस्ते दुनिया", "สวัสดีครับ", "ᏣᎳᎩ Cherokee", "ꦗꦮ Javanese ꦽ", "ᠮᠣᠩᠭᠣᠯ ᢅᢆ",
    # emoji and symbols
    "🚀 deploy 🔥🔥 ✅ done", "👍🏽 👨‍👩‍👧 🇩🇪 🏳️‍🌈", "🫠🥺🥰 newer emoji", "∑∫√ ≤ ≥ ≠ ∞ → ⇒", "€ £ ¥ $5.00 ₿",
    "© ® ™ § ¶ † ‡ • …", "«quotes» „low“ ‘single’ “double”", "— – ‐ ‑ ‒ dashes",
    # code and identifiers
    "kube_pod_container_status_restarts_total{namespace=\"monitoring\", pod=~\"prom.*\"} > 5",
    "def handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps(event)}",
    "for f in /var/log/*.log; do gzip -9 \"$f\" && echo done >&2; done",
    "SELECT id, name FROM users WHERE created_at >= NOW() - INTERVAL '7 days';",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3",
    "https://example.com/runbooks/disk-full.md?ref=alert#mitigation", "10.0.0.1:9090 fe80::1%eth0",
    "sha256:53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "550e8400-e29b-41d4-a716-446655440000", "camelCaseIdentifier snake_case_name SCREAMING_CASE kebab-case",
    "PrometheusNotificationQueueRunningFull", "regex: ^(?:[a-z0-9-]+\\.)*example\\.com$",
    "C:\\Windows\\System32\\drivers\\etc\\hosts", "x=1;y=2;z=x**y//3%4^5&6|7~8",
    # long words
    "a" * 99, "a" * 100, "a" * 101, "x" + "é" * 100, "supercalifragilisticexpialidocious" * 3,
    "dGhpcyBpcyBhIHZlcnkgbG9uZyBiYXNlNjQgYmxvYiB0aGF0IGdvZXMgb24gYW5kIG9uIGFuZCBvbiBmb3IgbW9yZSB0aGFuIG9uZSBodW5kcmVkIGNoYXJhY3RlcnM=",
    "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
    # control and invisible characters
    "nul\x00byte", "bell\x07 and escape \x1b[31mred\x1b[0m", "zero\u200bwidth \u200c\u200d joiners",
    "\ufeffBOM at start", "replacement \ufffd char", "tab\there\r\nand\rreturn", "vt\x0bff\x0cnel\x85",
    "line\u2028para\u2029sep", "no\u00a0break\u202fthin\u2009space\u3000ideographic", "soft\u00adhyphen",
    "private \ue000\uf8ff use", "tag \U000e0041\U000e007f chars", "unassigned \u0378\u0379 code points",
    "bidi \u202eoverride\u202c marks", "\x7fdelete \x80\x9f C1",
    # literal special tokens
    "[CLS] hello [SEP] world", "[MASK] [UNK] [PAD][PAD]", "[sep] [Cls] lowercase is not special", "[SEP", "[[SEP]]",
    # markdown and runbook text
    "## Mitigation\n\n1. Run `df -h` to find the full filesystem.\n2. Delete old logs: `journalctl --vacuum-size=500M`.",
    "> **Note:** restarts are *safe* — see [the guide](https://example.com).",
    RUNBOOK[:1500], RUNBOOK[1500:3000],
    " ".join(["token"] * 600),
]

VECTOR_TEXTS = [
    "", "why is the sky blue?", "why is the grass green?", "the server has no storage left and cannot write files",
    "a disk is full and writes fail with no space left on device, what do I do first?",
    "How do I rotate the TLS certificate of the ingress controller?", "Café résumé naïve Ångström",
    "日本語のテキストです。中文测试，数据库连接失败。", "🚀 deploy 🔥🔥 ✅ done 👍🏽", "Привет, мир!",
    "kube_pod_container_status_restarts_total{namespace=\"monitoring\"} > 5",
    "def handler(event, context):\n    return {'statusCode': 200}",
    "for f in /var/log/*.log; do gzip -9 \"$f\"; done", "[CLS] literal [SEP] tokens [MASK]",
    "nul\x00byte bell\x07 zero\u200bwidth \ufeffBOM", "a" * 101, "x", "?", "OK",
    "PrometheusNotificationQueueRunningFull: alert queue is about to overflow",
    "Postgres replication lag is growing on the standby; check wal_receiver status.",
    "The pod is in CrashLoopBackOff after the config map changed.",
    "Node NotReady: kubelet stopped posting status; check disk pressure and the container runtime.",
    "Rollback: helm rollback web 42 --wait --timeout 5m",
    RUNBOOK[:400], RUNBOOK[:1200], RUNBOOK[:2500], RUNBOOK,
    " ".join(f"word{i}" for i in range(200)), " ".join(["token"] * 700),
    "The quick brown fox jumps over the lazy dog. " * 20,
    "Résumé of the incident: at 03:12 UTC the primary database ran out of connections (max_connections=100).",
    "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction';",
    "ERROR: could not extend file \"base/16384/2619\": No space left on device",
    "Certificates expire in 7 days; renew with cert-manager or certbot renew --dry-run first.",
    "Memory usage above 90% on node-7; OOM killer terminated java (pid 4242).",
    "DNS resolution fails intermittently inside the cluster: check CoreDNS pods and the upstream resolvers.",
    "\t\n  leading and trailing whitespace  \n",
    "mixed 日本 English 한국 русский العربية",
]


def main():
    tok = tokenizers.Tokenizer.from_file(os.path.join(MiniLM.load(verify=False).model_dir, "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    cases = [{"text": t, "ids": e.ids} for t, e in zip(TOKEN_TEXTS, tok.encode_batch(TOKEN_TEXTS, add_special_tokens=False))]
    with open(os.path.join(OUT, "minilm-tokens.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "Scripts/minilm-fixtures.py", "tokenizers": tokenizers.__version__, "cases": cases},
                  f, ensure_ascii=True, indent=0)
        f.write("\n")

    model = MiniLM.load(tokenizer="tokenizers")
    vectors, counts = model.embed(VECTOR_TEXTS, normalize=True, max_tokens=512)
    cases = [{"text": t, "tokens": int(n), "vector": base64.b64encode(np.asarray(v, "<f4").tobytes()).decode()}
             for t, n, v in zip(VECTOR_TEXTS, counts, vectors)]
    with open(os.path.join(OUT, "minilm-vectors.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "Scripts/minilm-fixtures.py (numpy forward pass of minilm.py, 512-token cut)",
                   "cases": cases}, f, ensure_ascii=True, indent=0)
        f.write("\n")
    print(f"{len(TOKEN_TEXTS)} token cases, {len(VECTOR_TEXTS)} vector cases written to {OUT}")


if __name__ == "__main__":
    main()
