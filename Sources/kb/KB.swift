import ArgumentParser

@main
struct KB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "A knowledge base for operations runbooks: index Markdown, find the passages that answer a question.",
        discussion: """
            kb chunks runbooks along their headings, embeds the chunks (the built-in all-MiniLM-L6-v2, Ollama, or \
            the offline lexical hash embedder), stores everything in one SQLite file, finds passages with exact \
            cosine search fused with BM25 keyword search, and builds prompts and answers that cite numbered sources. \
            When the runbooks do not appear to cover a question (its best cosine and the share of its words the \
            knowledge base knows, by a rule fitted on evaluation questions), kb says so instead of answering.

            Quick start:
              kb model fetch
              kb ingest Corpus/
              kb query "the disk is full, what do I do?"

            Environment:
              KB_DB            knowledge base file (default ./kb.sqlite); --db overrides
              KB_EMBEDDER      embedder for a new knowledge base: builtin (default), ollama or hash
              KB_MODEL_DIR     built-in model directory (default ~/.cache/kb/models/all-minilm-l6-v2)
              KB_THREADS       built-in model workers (default: all processors)
              KB_EMBED_MODEL   Ollama embedding model (default all-minilm)
              KB_CHAT_MODEL    chat model for kb ask, kb chat and /v1/ask (default llama3.2)
              KB_TEMPLATES     directory of NAME.mustache prompt templates
              KB_API_TOKEN     kb serve: bearer token for writes (KB_READ_TOKEN for reads)
              OLLAMA_HOST      where Ollama listens (default http://127.0.0.1:11434)
              KB_PRECISION     in-memory index: fp32 (default) or fp16 (half the memory)
              KB_LOG_LEVEL     trace, debug, info, warning (default), error
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            IngestCommand.self, SyncCommand.self, QueryCommand.self, AskCommand.self, ChatCommand.self, DocsCommand.self, EmbedCommand.self, ReindexCommand.self,
            StatsCommand.self, MigrateCommand.self, BenchCommand.self, EvalCommand.self, ServeCommand.self,
            ModelCommand.self, MCPCommand.self,
        ]
    )
}
