-- The framework baseline: POST a JSON document of KB_WRK_ECHO_BYTES bytes (default 2048) to `kb bench echo`'s
-- /echo, which sends it back.
local size = tonumber(os.getenv("KB_WRK_ECHO_BYTES") or "2048")
local body = '{"question":"' .. string.rep("x", size - 16) .. '"}'
request = function()
  return wrk.format("POST", "/echo", {["Content-Type"] = "application/json"}, body)
end
