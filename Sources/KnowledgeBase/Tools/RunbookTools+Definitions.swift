extension RunbookTools {
    static let whereSchema: ToolValue = [
        "type": "object",
        "description": .string("Only runbooks whose front-matter metadata has these values, e.g. {\"service\": "
            + "\"postgres\", \"severity\": 2}. A list-valued key matches when it contains the value."),
        "maxProperties": 16,
        "additionalProperties": ["type": ["string", "number", "boolean"]],
    ]

    static let search = ToolDefinition(
        name: "search_runbooks", title: "Search the runbooks",
        description: """
            Search the operations team's runbooks for the passages that answer a question, an alert name or an \
            error message. Use it first for any question about operating, diagnosing or fixing systems. Returns \
            numbered passages, best first, each with its runbook path, heading, line range, score and text; cite \
            them by number. When nothing matches closely enough it says the runbooks do not cover the question \
            instead of returning weak matches. Use mode "keyword" for exact strings (error codes, flags), and \
            get_runbook to read a whole runbook a passage comes from.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "question": ["type": "string", "minLength": 1, "maxLength": 4000,
                             "description": "What to find, in plain words or pasted alert/error text."],
                "k": ["type": "integer", "minimum": 1, "maximum": 50, "description": "Number of passages (default 5)."],
                "mode": ["type": "string", "enum": ["hybrid", "vector", "keyword"],
                         "description": .string("hybrid (default): meaning and exact words; vector: meaning only; "
                             + "keyword: exact words (BM25).")],
                "path_prefix": ["type": "string", "maxLength": 1024,
                                "description": "Only runbooks whose path starts with this, e.g. \"databases/\"."],
                "where": whereSchema,
            ],
            "required": ["question"],
            "additionalProperties": false,
        ])

    static let get = ToolDefinition(
        name: "get_runbook", title: "Read a runbook",
        description: """
            Read one whole runbook: its title, metadata and every section with its heading and line range. Give \
            the path (as search_runbooks or list_runbooks show it) or the numeric id. Use it when a passage is \
            not enough, e.g. to follow all the steps of a procedure.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "path": ["type": "string", "minLength": 1, "maxLength": 1024,
                         "description": "The runbook's path, e.g. \"databases/postgres-replication-lag.md\"."],
                "id": ["type": "integer", "minimum": 1, "description": "The runbook's numeric id (instead of path)."],
                "source": ["type": "string", "minLength": 1, "maxLength": 200,
                           "description": "The source holding the path, when several sources hold the same path."],
            ],
            "additionalProperties": false,
        ])

    static let list = ToolDefinition(
        name: "list_runbooks", title: "List the runbooks",
        description: """
            List the runbooks in the knowledge base (id, path, title, source, metadata), optionally only those under \
            a path prefix, in one source, or with given metadata. Use it to browse what exists or to find a \
            runbook's exact path; use search_runbooks to find answers.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "path_prefix": ["type": "string", "maxLength": 1024,
                                "description": "Only runbooks whose path starts with this."],
                "source": ["type": "string", "minLength": 1, "maxLength": 200,
                           "description": "Only runbooks of this source (a synced folder, \"ingest\" or \"api\")."],
                "where": whereSchema,
                "limit": ["type": "integer", "minimum": 1, "maximum": 500,
                          "description": "At most this many (default 100)."],
                "offset": ["type": "integer", "minimum": 0, "description": "Skip this many first (for paging)."],
            ],
            "additionalProperties": false,
        ])

    static let ask = ToolDefinition(
        name: "ask_runbooks", title: "Answer from the runbooks",
        description: """
            Answer a question with kb's own chat model from the best runbook passages, with [n] citations checked \
            against those passages and the passages listed. Slower than search_runbooks (a model writes the \
            answer); prefer search_runbooks when you can read the passages yourself.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "question": ["type": "string", "minLength": 1, "maxLength": 4000, "description": "The question."],
                "k": ["type": "integer", "minimum": 1, "maximum": 20,
                      "description": "Number of passages to answer from (default 5)."],
                "mode": ["type": "string", "enum": ["hybrid", "vector", "keyword"],
                         "description": "Search mode (default hybrid)."],
                "path_prefix": ["type": "string", "maxLength": 1024,
                                "description": "Only runbooks whose path starts with this."],
                "where": whereSchema,
            ],
            "required": ["question"],
            "additionalProperties": false,
        ])
}
