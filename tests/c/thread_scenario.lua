--- tests/c/thread_scenario.lua: what each thread of tests/c/threads.c runs,
-- in its own lua_State. Arguments: sandbox URL, thread number (1-based),
-- number of requests to make. Every result is checked; returns
--   requests made, requests that reached the sandbox, failures seen
-- (failures are the expected 401s and refused connections).
local url, id, nreq = ...
id, nreq = math.tointeger(id), math.tointeger(nreq)
local shoplive = require("shoplive")

local function check(cond, what)
  if not cond then error("thread " .. id .. ": " .. what, 0) end
end

local c = shoplive.new{ api_key = "sk_test_thread_" .. id, base_url = url, timeout = 20, max_retries = 0 }
local bad = shoplive.new{ api_key = "sk_test_invalid", base_url = url, timeout = 20, max_retries = 0 }
-- Port 1 on loopback: nothing listens there, so the connection is refused.
local refused = shoplive.new{ api_key = "sk_test_x", base_url = "http://127.0.0.1:1", timeout = 5, max_retries = 0 }

local made, served, failures = 0, 0, 0

local function expect_page(page, err, n)
  check(page, "page " .. n .. ": " .. tostring(err))
  check(#page.records == (n == 24 and 7 or 10), "page " .. n .. " has " .. #page.records .. " records")
  for _, r in ipairs(page.records) do check(r.seller_id == "237", "seller_id") end
end

local i = 0
while i < nreq do
  i = i + 1
  local n = (i * 5 + id) % 24 + 1
  if i % 10 == 3 then
    -- a failing request: 401, not retried
    local p, e = bad:livestreams{ seller_id = "237", page = n }
    check(p == nil and e.kind == "auth", "401: " .. tostring(e))
    made, served, failures = made + 1, served + 1, failures + 1
  elseif i % 10 == 1 then
    -- a failing request that never reaches a server
    local p, e = refused:livestreams{ seller_id = "237" }
    check(p == nil and e.kind == "transport", "refused: " .. tostring(e))
    made, failures = made + 1, failures + 1
  elseif i % 10 == 5 and i + 3 <= nreq then
    -- four at once on this thread's multi handle
    local qs = {}
    for k = 1, 4 do qs[k] = { seller_id = "237", page = (n + k) % 24 + 1 } end
    local pages, errs = c:livestreams_many(qs, { concurrency = 4 })
    check(errs == nil, "livestreams_many failed")
    for k = 1, 4 do expect_page(pages[k], nil, qs[k].page) end
    made, served = made + 4, served + 4
    i = i + 3
  elseif i % 10 == 9 then
    -- start/poll
    local req = c:start{ seller_id = "237", page = n }
    while not req:done() do c:poll(0.05) end
    expect_page(req:result(), select(2, req:result()), n)
    made, served = made + 1, served + 1
  else
    expect_page(c:livestreams{ seller_id = "237", page = n }, nil, n)
    made, served = made + 1, served + 1
  end
end

-- and a request left in flight when the client closes
local req = c:start{ seller_id = "237", page = 1 }
c:close()
check(req:done() and select(2, req:result()).kind == "cancelled", "close with a request in flight")
bad:close()
refused:close()
return made, served, failures
