-- The framework baseline: POST a 2 KB JSON document to `kb bench echo`'s /echo, which sends it back.
local filler = string.rep("x", 2048 - 14)
local body = '{"question":"' .. filler .. '"}'
request = function()
  return wrk.format("POST", "/echo", {["Content-Type"] = "application/json"}, body)
end
