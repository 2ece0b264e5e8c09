import ArgumentParser

@main
struct KB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "A knowledge base for operations runbooks: index Markdown, find the passages that answer a question.",
        discussion: """
            kb chunks runbooks along their headings, embeds the chunks (Ollama, or the offline lexical hash \
            embedder), stores everything in one SQLite file, and answers questions with exact cosine top-k \
            search and a prompt that cites numbered sources.

            Quick start:
              kb ingest Corpus/
              kb query "the disk is full, what do I do?"

            Environment:
              KB_DB            knowledge base file (default ./kb.sqlite); --db overrides
              KB_EMBEDDER      embedder for a new knowledge base: hash (default) or ollama
              KB_EMBED_MODEL   Ollama embedding model (default all-minilm)
              OLLAMA_HOST      where Ollama listens (default http://127.0.0.1:11434)
              KB_LOG_LEVEL     trace, debug, info, warning (default), error
            """,
        subcommands: [
            IngestCommand.self, QueryCommand.self, AskCommand.self, ChatCommand.self, DocsCommand.self, EmbedCommand.self, ReindexCommand.self,
            StatsCommand.self, BenchCommand.self, EvalCommand.self, ServeCommand.self,
            ModelCommand.self,
        ]
    )
}
