-- Inside OpenResty a client made without `wait` waits with ngx.sleep where
-- nginx can sleep (requests, timers), so forgetting the option does not
-- block the worker; where nginx cannot (set_by_lua here) it blocks as it
-- does outside nginx, instead of failing. examples/openresty serves one
-- worker; the sandbox holds every API request LATENCY seconds, and the
-- checks are orders of events (counted by the sandbox, seen on sockets),
-- not durations.
local sandbox = require("support.sandbox")
local openresty = require("support.openresty")
local socket = require("socket")

local LATENCY = 3

describe("OpenResty: the default wait hook #novalgrind #nginx", function()
  local sb, port, stop
  setup(function()
    sb = sandbox.start{ latency = LATENCY }
    local url
    url, stop = openresty.start(sb.url)
    port = tonumber(url:match(":(%d+)$"))
  end)
  teardown(function()
    if stop then stop() end
    if sb then sb:stop() end
  end)

  local function send(path)
    local c = assert(socket.connect("127.0.0.1", port))
    c:settimeout(LATENCY * 10)
    assert(c:send("GET " .. path .. " HTTP/1.0\r\nHost: x\r\n\r\n"))
    return c
  end

  local function read_response(c, first)
    local rest = c:receive("*a") or ""
    c:close()
    local resp = (first or "") .. rest
    return tonumber(resp:match("^HTTP/%S+ (%d+)")), resp:match("\r\n\r\n(.*)$")
  end

  local function get(path)
    return read_response(send(path))
  end

  -- Until the sandbox has received n API requests (it then holds them).
  local function await_api_requests(n)
    for _ = 1, 1000 do
      if sb:stats().requests >= n then break end
      socket.sleep(0.01)
    end
    assert.equals(n, sb:stats().requests)
  end

  -- Sends path (one API request behind it), and once the sandbox holds that
  -- request asks the same worker for /health. Returns whether path's answer
  -- had not arrived when /health's did, and path's status and body.
  local function health_during(path)
    sb:reset()
    local c = send(path)
    await_api_requests(1)
    assert.equals(200, (get("/health")))
    c:settimeout(0)
    local first, err, partial = c:receive(1)
    local outstanding = first == nil and err == "timeout" and partial == ""
    c:settimeout(LATENCY * 10)
    local status, body = read_response(c, first or partial)
    return outstanding, status, body
  end

  it("serves /health while /top-default (no wait option) waits for the API", function()
    local outstanding, status, body = health_during("/top-default?seller_id=237&n=5")
    assert.is_true(outstanding, "/top-default answered before /health: the worker was blocked")
    assert.equals(200, status)
    assert.equals(5, #require("shoplive.core").json_decode(body))
    assert.equals(1, sb:stats().requests)
  end)

  it("with wait = false the worker blocks: /health comes after /top-blocking", function()
    -- the control: the same probe does see a blocked worker
    local outstanding, status = health_during("/top-blocking?seller_id=237&n=5")
    assert.is_false(outstanding)
    assert.equals(200, status)
  end)

  it("in a timer the default client sleeps with ngx.sleep too", function()
    sb:reset()
    assert.equals(202, (get("/top-timer?seller_id=237")))
    await_api_requests(1)
    assert.equals(200, (get("/health")))
    local _, body = get("/top-timer-result")
    assert.equals('{"result":"pending"}\n', body) -- the timer did not hold the worker
    for _ = 1, LATENCY * 100 do
      _, body = get("/top-timer-result")
      if body ~= '{"result":"pending"}\n' then break end
      socket.sleep(0.05)
    end
    assert.equals('{"result":"5"}\n', body)
    assert.equals(1, sb:stats().requests)
  end)

  it("in set_by_lua, where nginx cannot sleep, the default client blocks and answers", function()
    sb:reset()
    local status, body = get("/count?seller_id=237")
    assert.equals(200, status)
    assert.equals("3\n", body)
    assert.equals(1, sb:stats().requests)
  end)
end)
