/// The prompt templates kb ships: Mustache text rendered into the user message (the system message always
/// holds `PromptBuilder.instructions`).
///
/// Variables: `question`; `sources`, a list whose items have `number`, `path`, `heading`, `label`
/// (`path › heading`), `text`, `score`, `first_line`, `last_line`. `{{^sources}}…{{/sources}}` renders when
/// no source matched.
enum BuiltinTemplates {
    static let answer = """
        Context:
        {{#sources}}
        [{{number}}] {{label}}
        {{text}}

        {{/sources}}
        {{^sources}}
        (No runbook excerpt matched this question.)

        {{/sources}}
        Question: {{question}}
        Answer:
        """

    static let diagnose = """
        An on-call engineer pasted the alert or error log below. Using only the runbook excerpts, say what most \
        likely caused it and list the diagnosis steps the runbooks give, in order, with their commands, citing the \
        excerpt of each step like [1]. If the excerpts do not explain this alert or error, say so.

        Context:
        {{#sources}}
        [{{number}}] {{label}}
        {{text}}

        {{/sources}}
        {{^sources}}
        (No runbook excerpt matched this alert.)

        {{/sources}}
        Alert or error:
        {{question}}

        Likely cause and diagnosis steps:
        """

    static let nextSteps = """
        The engineer describes where an incident stands. Using only the runbook excerpts, list the next steps to \
        take as a numbered list, most urgent first, each citing its excerpt like [1]. Include escalation if the \
        runbooks give it. If the excerpts do not cover the situation, say so.

        Context:
        {{#sources}}
        [{{number}}] {{label}}
        {{text}}

        {{/sources}}
        {{^sources}}
        (No runbook excerpt matched this situation.)

        {{/sources}}
        Situation: {{question}}
        Next steps:
        """

    static let summarize = """
        Summarize the runbook below for an engineer who has not read it: what it is for, how to tell the problem \
        is happening, and the main steps to fix it, in at most ten bullet points, citing excerpts like [1].

        Runbook:
        {{#sources}}
        [{{number}}] {{label}}
        {{text}}

        {{/sources}}
        {{^sources}}
        (No runbook matched "{{question}}".)

        {{/sources}}
        Summary:
        """

    static let all: [String: String] = [
        "answer": answer, "diagnose": diagnose, "next-steps": nextSteps, "summarize": summarize,
    ]
}
