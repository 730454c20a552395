-- The API key never leaves through an err, an option error, a debug line, a
-- cleartext connection or a proxy the caller did not choose (issue 14,
-- items 5-8), and server texts in an err are one clean line.
local env = require("support.env")
local socket = require("socket")
local errors = require("shoplive.errors")

local shoplive = env.shoplive
local KEY = env.KEY

--- Every piece of `n` bytes of the key found in s, as a list.
local function key_pieces(s, n)
  local found = {}
  for i = 1, #KEY - n + 1 do
    local piece = KEY:sub(i, i + n - 1)
    if s:find(piece, 1, true) then found[#found + 1] = piece end
  end
  return found
end

--- Everything the err shows or holds, as one string.
local function err_text(err)
  local t = { tostring(err) }
  for _, v in pairs(err) do t[#t + 1] = tostring(v) end
  return table.concat(t, "\n")
end

describe("server texts in an err", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("an HTTP 200 with code ~= 0 that echoes the key: message and request_id redacted", function()
    sb:fault{ type = "body", name = "echo_key" }
    local page, err = env.fetch{ max_retries = 0 }
    assert.is_nil(page)
    assert.equals("api", err.kind)
    assert.equals(1001, err.code)
    assert.equals("[REDACTED] is not a valid key", err.message)
    assert.equals("req-[REDACTED]", err.request_id)
    assert.same({}, key_pieces(err_text(err), 5))
  end)

  -- { test, fault, err.kind, the err field that echoed the key, its text once redacted }
  for _, case in ipairs{
    { "an error status that echoes the key in requestId: redacted too",
      { type = "body", name = "echo_key", status = 400, code = 400 }, "bad_request", "request_id", "req-[REDACTED]" },
    { "a Retry-After header that echoes the key: redacted in err.retry_after",
      { type = "status", status = 429, retry_after = "1 " .. KEY }, "rate_limited", "retry_after", "1 [REDACTED]" },
  } do
    it(case[1], function()
      sb:fault(case[2])
      local _, err = env.fetch{ max_retries = 0 }
      assert.equals(case[3], err.kind)
      assert.equals(case[5], err[case[4]])
      assert.same({}, key_pieces(err_text(err), 5))
    end)
  end

  it("a key straddling the 300-byte cut leaks no prefix: redacted first, then cut", function()
    local c = env.client{ max_retries = 0 }
    for at = 280, 305 do
      sb:fault{ type = "body", name = "echo_key", at = at }
      local _, err = c:livestreams{ seller_id = "237" }
      assert.equals("api", err.kind)
      assert.same({}, key_pieces(err_text(err), 5), "key at byte " .. (at + 1))
      assert.equals(("x"):rep(math.min(at, 300)), err.message:sub(1, math.min(at, 300)))
      assert.truthy(#err.message <= 303, #err.message)
    end
    c:close()
  end)

  it("redaction takes any 8-byte piece of the key, and a key prefix at the end of a cut text", function()
    local c = env.client{}
    local core = c._core
    assert.equals("bad key [REDACTED]!", core:redact("bad key " .. KEY .. "!"))
    -- a piece from the middle, a prefix, a suffix
    assert.equals("a[REDACTED]b", core:redact("a" .. KEY:sub(5, 16) .. "b"))
    assert.equals("a[REDACTED]", core:redact("a" .. KEY:sub(1, 8)))
    assert.equals("[REDACTED]z", core:redact(KEY:sub(-8) .. "z"))
    assert.equals("[REDACTED] [REDACTED]", core:redact(KEY .. " " .. KEY))
    -- 7 bytes are not a piece (words such as "sk_test" stay readable) ...
    assert.equals("a" .. KEY:sub(1, 7) .. " b", core:redact("a" .. KEY:sub(1, 7) .. " b"))
    -- ... except at the end of a text that was cut: the rest of the key was cut off
    assert.equals("abc" .. KEY:sub(1, 3), core:redact("abc" .. KEY:sub(1, 3)))
    assert.equals("abc[REDACTED]", core:redact("abc" .. KEY:sub(1, 3), true))
    c:close()
  end)

  it("a key cut off by the input bound leaves no prefix behind", function()
    -- a long key: four of them redact to 40 bytes, so the end of the bounded
    -- input (4096 bytes) shows within the 300 bytes of the message
    local key = ("k1"):rep(500)
    local text = key:rep(4) .. ("z"):rep(92) .. key -- the bound keeps 4 bytes of the last key
    local c = env.shoplive.new{ api_key = key, base_url = env.sandbox().url }
    local cleaned = errors.clean(text, c._redact)
    c:close()
    assert.equals(("[REDACTED]"):rep(4) .. ("z"):rep(92) .. "[REDACTED]", cleaned)
  end)

  it("a string code 0 is a decode error naming the field, not 'api: success'", function()
    sb:fault{ type = "body", name = "code_string" }
    local page, err = env.fetch{ max_retries = 0 }
    assert.is_nil(page)
    assert.equals("decode", err.kind)
    assert.matches("'code' is a string, expected an integer", err.message)
    assert.is_nil(tostring(err):find("success", 1, true))
    local _, err2 = shoplive.decode('{"code":0.5,"message":"success","data":[]}')
    assert.equals("decode", err2.kind)
    assert.matches("'code' is a non%-integral number", err2.message)
  end)

  it("messages are one printable line: no ESC, CR/LF, C1 or bidi controls", function()
    local hostile = "a\27]0;pwned\7\r\nforged: line\194\155c\226\128\174d\226\129\167e\226\128\168f"
    sb:fault{ type = "status", status = 400, message = hostile }
    local _, err = env.fetch{ max_retries = 0 }
    assert.equals("bad_request", err.kind)
    assert.equals("a ]0;pwned   forged: line c d e f", err.message)
    local s = tostring(err)
    assert.is_nil(s:find("[%z\1-\31\127]"))
    for _, ctl in ipairs{ "\194\155", "\226\128\174", "\226\129\167", "\226\128\168" } do
      assert.is_nil(s:find(ctl, 1, true))
    end
    -- invalid UTF-8 becomes U+FFFD (one per byte), valid text stays
    assert.equals("a\239\191\189\239\191\189b \195\169", errors.clean("a\255\192b \195\169"))
    assert.equals("x\239\191\189", errors.clean("x\237\160\128"):sub(1, 4)) -- a UTF-8-encoded surrogate
    -- the cut keeps whole characters
    local long = errors.clean("a" .. ("\226\130\172"):rep(150))
    assert.equals("a" .. ("\226\130\172"):rep(99) .. "...", long)
  end)
end)

describe("option errors never echo a secret", function()
  local function new_error(o)
    local ok, msg = pcall(shoplive.new, o)
    assert.is_false(ok)
    return msg
  end

  it("the key in the wrong option is not shown", function()
    local msg = new_error{ api_key = KEY, base_url = KEY }
    assert.matches("option 'base_url'", msg)
    assert.matches("looks like a secret %(not shown%)", msg)
    assert.same({}, key_pieces(msg, 8))
    msg = new_error{ api_key = KEY, user_agent = KEY .. "\n" }
    assert.matches("option 'user_agent'", msg)
    assert.same({}, key_pieces(msg, 8))
  end)

  it("anything shaped like a key is not shown: sk_ prefixes, long mixed tokens", function()
    for _, v in ipairs{ "sk_live_abc", "SK-abc", "xx 4f9a8b7c6d5e4f3a2b1c0d9e", "ftp://h/" .. ("a1"):rep(10) } do
      local msg = new_error{ api_key = KEY, base_url = v }
      assert.matches("option 'base_url'", msg)
      assert.is_nil(msg:find(v, 1, true), msg)
      assert.matches("a string of " .. #v .. " bytes", msg)
    end
    -- ordinary values still are, to help fixing them
    local msg = new_error{ api_key = KEY, base_url = "ftp://example.com" }
    assert.truthy(msg:find('"ftp://example.com"', 1, true), msg)
  end)

  it("a proxy URL (it may hold a password) is never shown", function()
    local msg = new_error{ api_key = KEY, proxy = "http://u:hunter2@p\n" }
    assert.matches("option 'proxy'", msg)
    assert.is_nil(msg:find("hunter2", 1, true))
  end)

  it("the command line does not echo KEYAPI_BASE_URL=sk_live_... either", function()
    local errfile = os.tmpname()
    local secret = "sk_live_0123456789abcdef"
    for _, args in ipairs{ "livestreams 237", "livestreams 237 --dry-run", "summary 237" } do
      local status, out = env.sh("env KEYAPI_BASE_URL=" .. env.sh_quote(secret) .. " KEYAPI_API_KEY="
        .. env.sh_quote(KEY) .. " SHOPLIVE_BUILD=" .. env.sh_quote(env.BUILD) .. " " .. env.LUA
        .. " bin/shoplive " .. args .. " 2>" .. errfile)
      local f = io.open(errfile, "rb")
      local err = f:read("*a")
      f:close()
      assert.is_not.equals(0, status)
      assert.matches("base_url", err)
      assert.is_nil((out .. err):find("0123456789", 1, true), err)
      assert.same({}, key_pieces(out .. err, 8))
    end
    os.remove(errfile)
  end)
end)

describe("cleartext", function()
  local function new_error(o)
    o.api_key = KEY
    local ok, msg = pcall(shoplive.new, o)
    assert.is_false(ok)
    return msg
  end

  it("http:// to a host that is not loopback needs allow_http = true", function()
    for _, url in ipairs{ "http://example.com", "HTTP://api.keyapi.ai/", "http://10.0.0.1:8080", "http://127.1",
        "http://127.0.0.01", "http://[::2]", "http://localhost.example.com" } do
      local msg = new_error{ base_url = url }
      assert.matches("option 'base_url' is http:// to a host that is not loopback", msg)
      assert.matches("allow_http = true", msg)
      local c = shoplive.new{ api_key = KEY, base_url = url, allow_http = true }
      c:close()
    end
    for _, url in ipairs{ "http://127.0.0.1:1", "http://127.255.0.9", "http://localhost:8080", "http://LOCALHOST",
        "http://[::1]:8080", "https://example.com" } do
      shoplive.new{ api_key = KEY, base_url = url }:close()
    end
    assert.matches("option 'allow_http' must be a boolean", new_error{ allow_http = "yes" })
  end)

  it("http:// through a proxy needs allow_http, even to loopback; https:// does not", function()
    local msg = new_error{ base_url = "http://127.0.0.1:1", proxy = "http://127.0.0.1:3128" }
    assert.matches("option 'proxy' is set: the API key would reach the proxy in cleartext", msg)
    assert.matches("allow_http = true", msg)
    shoplive.new{ api_key = KEY, base_url = "http://127.0.0.1:1", proxy = "http://127.0.0.1:3128", allow_http = true }:close()
    shoplive.new{ api_key = KEY, base_url = "https://example.com", proxy = "http://127.0.0.1:3128" }:close()
    shoplive.new{ api_key = KEY, base_url = "http://127.0.0.1:1", proxy = "" }:close() -- "" is no proxy
  end)
end)

describe("proxies come only from the proxy option", function()
  local server, port
  before_each(function()
    env.reset()
    server = assert(socket.bind("127.0.0.1", 0))
    server:settimeout(0)
    port = select(2, server:getsockname())
  end)
  after_each(function()
    server:close()
  end)

  --- Drive req of client c while accepting one connection on the listener;
  -- reads the request head, answers `reply`. Returns the head (nil when no
  -- connection came). Bounded by a count of polls, not by a clock.
  local function serve_one(c, req, reply)
    local conn, buf = nil, ""
    for _ = 1, 500 do
      c:poll(0.01)
      if not conn then
        conn = server:accept()
        if conn then conn:settimeout(0) end
      end
      if conn then
        local data, _, partial = conn:receive(8192)
        buf = buf .. (data or partial or "")
        if buf:find("\r\n\r\n", 1, true) then
          conn:send(reply)
          conn:close()
          break
        end
      end
      if req:done() then break end
    end
    for _ = 1, 500 do
      if req:done() then break end
      c:poll(0.01)
    end
    return conn and buf or nil
  end

  --- Run a Lua snippet in a child with extra environment variables; returns
  -- its stdout.
  local function child(vars, code)
    local assigns = {}
    for k, v in pairs(vars) do assigns[#assigns + 1] = k .. "=" .. env.sh_quote(v) end
    local cmd = "env " .. table.concat(assigns, " ") .. " " .. env.lua_env() .. " " .. env.LUA .. " -e "
      .. env.sh_quote(code)
    return io.popen(cmd, "r")
  end

  local FETCH = [[
    local shoplive = require("shoplive")
    local c = shoplive.new{ api_key = %q, base_url = %q, timeout = 3, max_retries = 0, proxy = %s }
    local page, err = c:livestreams{ seller_id = "237" }
    print(page and ("records " .. #page.records) or ("err " .. err.kind .. " " .. tostring(err.status)))
  ]]

  it("http_proxy, HTTPS_PROXY and ALL_PROXY in the environment are ignored", function()
    local url = "http://127.0.0.1:" .. port
    local p = child({ http_proxy = url, HTTP_PROXY = url, https_proxy = url, HTTPS_PROXY = url,
      ALL_PROXY = url, all_proxy = url }, FETCH:format(KEY, env.sandbox().url, "nil"))
    local out = p:read("*a")
    p:close()
    assert.equals("records 10\n", out)
    assert.equals(1, env.requests()) -- went straight to the API
    assert.is_nil(server:accept()) -- nothing ever connected to the "proxy"
  end)

  it("the proxy option is used even when NO_PROXY says otherwise", function()
    local target = env.sandbox().url:gsub("^http:", "https:")
    local p = child({ NO_PROXY = "*", no_proxy = "*" },
      FETCH:format(KEY, target, ("%q"):format("http://127.0.0.1:" .. port)))
    local conn
    for _ = 1, 500 do
      conn = server:accept()
      if conn then break end
      socket.sleep(0.01)
    end
    assert.truthy(conn, "the proxy got no connection")
    conn:settimeout(5)
    local line = conn:receive("*l")
    conn:send("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn:close()
    local out = p:read("*a")
    p:close()
    assert.equals("CONNECT " .. target:match("//(.*)$") .. " HTTP/1.1", line)
    assert.equals("err transport nil\n", out)
    assert.equals(0, env.requests())
  end)

  it("https:// through a proxy is a CONNECT tunnel: the key is not in the proxy's cleartext", function()
    local c = shoplive.new{ api_key = KEY, base_url = "https://127.0.0.1:9", proxy = "http://127.0.0.1:" .. port,
      max_retries = 0, timeout = 5 }
    local req = c:start{ seller_id = "237" }
    local head = serve_one(c, req, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    local page, err = req:result()
    c:close()
    assert.truthy(head, "the proxy got no connection")
    assert.matches("^CONNECT 127%.0%.0%.1:9 HTTP/1%.1\r\n", head)
    assert.is_nil(head:find("Authorization", 1, true))
    assert.same({}, key_pieces(head, 4))
    assert.is_nil(page)
    assert.equals("transport", err.kind)
  end)

  it("the debug hook redacts Proxy-Authorization like Authorization", function()
    local lines = {}
    local c = shoplive.new{ api_key = KEY, base_url = "https://127.0.0.1:9", max_retries = 0,
      proxy = "http://user:hunter2@127.0.0.1:" .. port, timeout = 5,
      debug = function(line) lines[#lines + 1] = line end }
    local req = c:start{ seller_id = "237" }
    local head = serve_one(c, req, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    c:poll(0)
    c:close()
    assert.truthy(head, "the proxy got no connection")
    local basic = head:match("\r\n[Pp]roxy%-[Aa]uthorization: Basic (%S+)\r\n")
    assert.truthy(basic, head) -- libcurl did send credentials to the proxy
    local text = table.concat(lines, "\n")
    assert.matches("> CONNECT 127%.0%.0%.1:9", text)
    assert.matches("> Proxy%-Authorization: %[REDACTED%]", text)
    assert.is_nil(text:find(basic, 1, true))
    assert.is_nil(text:find("hunter2", 1, true))
    assert.same({}, key_pieces(text, 8))
  end)
end)
