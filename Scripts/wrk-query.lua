local questions = {}
-- Run from the project root: wrk … -s Scripts/wrk-query.lua http://127.0.0.1:8080
-- KB_WRK_QUESTIONS: an eval JSONL file (default ../shared/eval/dev.jsonl); KB_WRK_MODE: hybrid (default), vector
-- or keyword.
for line in io.lines(os.getenv("KB_WRK_QUESTIONS") or "../shared/eval/dev.jsonl") do
  local q = line:match('"question": "(.-)", "relevant"')
  if q then table.insert(questions, q) end
end
local mode = os.getenv("KB_WRK_MODE") or "hybrid"
local i = 0
request = function()
  i = i + 1
  local q = questions[(i % #questions) + 1]
  local body = '{"question":"' .. q:gsub('"', '\\"') .. '","k":5,"mode":"' .. mode .. '"}'
  return wrk.format("POST", "/v1/query", {["Content-Type"] = "application/json"}, body)
end
