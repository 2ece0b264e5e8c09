#!/usr/bin/env python3
"""The OpenAI-compatible API of `kb serve`, with the official `openai` Python SDK as the client.

    python Scripts/openai_sdk_test.py [--kb .build/debug/kb] [--embedder hash|ollama|builtin]

Run it with a Python that has `openai` (Scripts/test uses the venv $KB_TEST_CLIENTS_VENV). It starts
../shared/tools/ollama-minilm as kb's Ollama (its extractive chat stub answers; real MiniLM embeddings with
--embedder ollama), ingests Corpus/platform, starts `kb serve` with a read and a write token, and checks through the SDK: models.list(),
a grounded completion (cited answer, sources in the extension field), the same answer streamed (sources on the
final chunk), a refusal, a passthrough completion, max_tokens, and errors raised as the SDK's typed exceptions.
Fails (exit 1) on the first check that does not hold; never skips.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kb_live import CHAT_MODEL, LiveKB, fail  # noqa: E402

NAME = "openai sdk test"
READ, WRITE = "sdk-read-token-5e1", "sdk-write-token-9c7"
QUESTION = "the disk is full on a host: what is the mitigation?"
UNCOVERED = "what is the recipe for sourdough bread with rye flour?"
GROUNDED = "kb:" + CHAT_MODEL


def check(condition, message):
    if not condition:
        fail(NAME, message)
    print(f"  ok  {message}")


def extra(model, name):
    """An extension field the SDK's pydantic models keep but do not declare."""
    return (model.model_extra or {}).get(name)


def expect_error(kind, call, status, **fields):
    try:
        call()
    except kind as error:
        check(error.status_code == status, f"{kind.__name__}: HTTP {error.status_code} (want {status})")
        for name, wanted in fields.items():
            check(getattr(error, name) == wanted, f"  its {name} is {getattr(error, name)!r}: {error.message}")
        return error
    except Exception as error:  # noqa: BLE001 - any other exception is the failure being reported
        fail(NAME, f"expected {kind.__name__}, got {type(error).__name__}: {error}")
    fail(NAME, f"expected {kind.__name__}, but the call succeeded")


def run(live):
    import openai

    client = openai.OpenAI(base_url=f"{live.base}/v1", api_key=READ, max_retries=0, timeout=60)
    print(f"{NAME}: openai {openai.__version__}, kb serve on {live.base}, Ollama stand-in on {live.ollama}")

    ids = [model.id for model in client.models.list()]
    check(GROUNDED in ids and CHAT_MODEL in ids, f"models.list() offers {CHAT_MODEL} and {GROUNDED}: {ids}")
    check(not any("minilm" in name for name in ids), "the embedding model is not offered as a chat model")

    completion = client.chat.completions.create(model=GROUNDED, messages=[
        {"role": "system", "content": "You are the on-call assistant."},
        {"role": "user", "content": QUESTION}])
    message = completion.choices[0].message
    check(completion.object == "chat.completion" and completion.id.startswith("chatcmpl-"), "a chat.completion object")
    check(message.role == "assistant" and message.content.startswith("[extractive stub"),
          f"the answer comes from the chat model: {message.content[:80]!r}")
    sources = extra(message, "sources")
    check(isinstance(sources, list) and sources, f"message.sources holds the retrieved sources ({len(sources or [])})")
    check(all({"number", "path", "heading", "lines", "score", "cited"} <= set(source) for source in sources),
          "each source has number, path, heading, lines, score and cited")
    check(sources[0]["path"].endswith("disk-full.md"), f"the best source is the disk-full runbook: {sources[0]['path']}")
    info = extra(completion, "kb")
    check(info["grounded"] is True and info["refused"] is False, f"kb: grounded, not refused ({info})")
    cited = [source["number"] for source in sources if source["cited"]]
    inline = [number for number in range(1, len(sources) + 1) if f"[{number}]" in message.content]
    check(cited == sorted(set(inline) - set(info["invalid_citations"])),
          f"cited flags match the inline [n] citations ({cited} vs {inline})")
    check(completion.usage.completion_tokens > 0 and completion.choices[0].finish_reason == "stop", "usage and finish_reason")

    chunks = list(client.chat.completions.create(model=GROUNDED, stream=True, stream_options={"include_usage": True},
                                                 messages=[{"role": "system", "content": "You are the on-call assistant."},
                                                           {"role": "user", "content": QUESTION}]))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    check(text == message.content, "the streamed answer equals the non-streamed one")
    finals = [chunk for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason]
    check(len(finals) == 1 and finals[0].choices[0].finish_reason == "stop", "exactly one chunk has a finish_reason")
    check(extra(finals[0].choices[0].delta, "sources") == sources, "the final chunk's delta carries the same sources")
    check(extra(finals[0], "kb")["grounded"] is True, "the final chunk carries the kb object")
    check(chunks[-1].usage is not None and not chunks[-1].choices, "include_usage adds a usage chunk at the end")

    history = client.chat.completions.create(model=GROUNDED, messages=[
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": message.content},
        {"role": "user", "content": [{"type": "text", "text": "and how do I stop it happening again on that host?"}]}])
    check(extra(history.choices[0].message, "sources"), "a follow-up with history and content parts is answered")

    refused = client.chat.completions.create(model=GROUNDED, messages=[{"role": "user", "content": UNCOVERED}])
    check(extra(refused, "kb")["refused"] is True and "do not cover" in refused.choices[0].message.content,
          f"a question the runbooks do not cover is refused: {refused.choices[0].message.content[:60]!r}")
    check(extra(refused.choices[0].message, "sources") == [], "a refusal has no sources")

    plain = client.chat.completions.create(model=CHAT_MODEL, messages=[
        {"role": "system", "content": "Context: The sky is blue because of Rayleigh scattering."},
        {"role": "user", "content": "why is the sky blue?"}])
    check(extra(plain, "kb") == {"grounded": False} and extra(plain.choices[0].message, "sources") is None,
          "a plain model name passes through, without sources")
    check("Rayleigh" in plain.choices[0].message.content, "the passthrough answer comes from the given messages")

    short = client.chat.completions.create(model=GROUNDED, max_tokens=3, messages=[{"role": "user", "content": QUESTION}])
    check(short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 3,
          "max_tokens caps the answer (finish_reason length)")

    expect_error(openai.BadRequestError, lambda: client.chat.completions.create(
        model=GROUNDED, temperature=5, messages=[{"role": "user", "content": QUESTION}]), 400,
        param="temperature", type="invalid_request_error")
    expect_error(openai.BadRequestError, lambda: client.chat.completions.create(model=GROUNDED, messages=[]), 400,
                 param="messages")
    expect_error(openai.BadRequestError, lambda: client.chat.completions.create(
        model=GROUNDED, n=2, messages=[{"role": "user", "content": QUESTION}]), 400, param="n", code="unsupported_parameter")
    expect_error(openai.BadRequestError, lambda: client.chat.completions.create(
        model=GROUNDED, messages=[{"role": "user", "content": QUESTION}], extra_body={"kb": {"k": 0}}), 400)
    # Only the configured chat model may be named (kb serve --chat-models widens it): any other is 403.
    expect_error(openai.PermissionDeniedError, lambda: client.chat.completions.create(
        model="kb:no-such-model", messages=[{"role": "user", "content": QUESTION}]), 403, code="model_not_allowed")
    expect_error(openai.PermissionDeniedError, lambda: list(client.chat.completions.create(
        model="no-such-model", stream=True, messages=[{"role": "user", "content": "hi"}])), 403, code="model_not_allowed")
    wrong = openai.OpenAI(base_url=f"{live.base}/v1", api_key="not-the-token", max_retries=0)
    expect_error(openai.AuthenticationError, lambda: wrong.models.list(), 401, type="authentication_error",
                 code="invalid_token")
    writer = openai.OpenAI(base_url=f"{live.base}/v1", api_key=WRITE, max_retries=0)
    check(any(model.id == GROUNDED for model in writer.models.list()), "the write token reads too")
    error = expect_error(openai.APIStatusError, lambda: client.post("/chat/completions", cast_to=object,
                                                                     body={"model": GROUNDED, "messages": "hello"}), 400)
    check(isinstance(error.body, dict) and set(error.body) == {"message", "type", "param", "code"},
          f"the error body is OpenAI's shape: {error.body}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", default=".build/debug/kb")
    # hash keeps the step to seconds; --embedder ollama (the stand-in's real MiniLM) passes too, in about a minute.
    parser.add_argument("--embedder", default="hash", choices=["ollama", "hash", "builtin"])
    args = parser.parse_args()
    try:
        import openai  # noqa: F401
    except ImportError:
        fail(NAME, f"the openai package is missing from {sys.executable}; Scripts/test installs it into its venv")
    with LiveKB(args.kb, "openai-sdk", embedder=args.embedder, env={"KB_READ_TOKEN": READ, "KB_API_TOKEN": WRITE}) as live:
        run(live)
    print(f"{NAME}: all checks passed")


if __name__ == "__main__":
    main()
