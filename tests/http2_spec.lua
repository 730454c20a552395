-- HTTP/2 over TLS: the http2 option (default true), multiplexing of
-- concurrent requests on one connection, and the fallback to HTTP/1.1 when
-- the server does not offer h2. Connections and TLS handshakes are counted
-- by the sandbox (nginx $connection, $https).
local env = require("support.env")
local sandbox = require("support.sandbox")
local certs = require("support.certs")

describe("HTTP/2", function()
  local c, h2, h1
  setup(function()
    c = certs.make()
    h2 = sandbox.start{ tls_cert = c.cert, tls_key = c.key, tls_http2 = true }
    h1 = sandbox.start{ tls_cert = c.cert, tls_key = c.key }
  end)
  teardown(function()
    if h2 then h2:stop() end
    if h1 then h1:stop() end
    if c then c:remove() end
  end)

  -- A client on sb's TLS port; `lines` collects libcurl's verbose lines.
  -- Under valgrind the handshake is some 20 times slower, and every request
  -- of a concurrent loop waits for it (PIPEWAIT: they share its connection):
  -- on a loaded machine the default 30 s ran out, counted from the moment a
  -- request was queued ("Operation timed out after 2148 milliseconds" with
  -- 28 s spent waiting for the connection). Nothing here is about timeouts.
  local slow = os.getenv("SHOPLIVE_UNDER_VALGRIND") == "1" and 20 or 1
  local function client(sb, opts)
    local lines = {}
    local o = { api_key = env.KEY, base_url = sb.tls_url, ca_file = c.ca, max_retries = 0,
      timeout = 30 * slow, connect_timeout = 10 * slow, debug = function(l) lines[#lines + 1] = l end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return env.shoplive.new(o), lines
  end

  local function saw(lines, text)
    for _, l in ipairs(lines) do
      if l:find(text, 1, true) then return true end
    end
    return false
  end

  -- Each request waits 50 ms at the server, so a concurrent loop really has
  -- several requests in flight at once.
  local function fresh(sb)
    sb:reset()
    sb:config{ latency = 0.05 }
  end

  -- All 999 records of shop 999 from sb at that concurrency: the debug lines.
  local function whole_shop(sb, concurrency)
    fresh(sb)
    local cl, lines = client(sb)
    local recs, err = cl:all_livestreams{ seller_id = "999", concurrency = concurrency }
    cl:close()
    assert.is_nil(err)
    assert.equals(999, #recs)
    return lines
  end

  it("carries a whole shop with concurrency 8 on one connection", function()
    local lines = whole_shop(h2, 8)
    local st = h2:stats()
    assert.is_true(st.requests >= 100)
    assert.equals(1, st.connections)
    assert.equals(1, st.tls_handshakes)
    assert.is_true(saw(lines, "ALPN: server accepted h2"))
  end)

  it("multiplexes livestreams_many's 8 concurrent requests", function()
    fresh(h2)
    local cl = client(h2)
    local qs = {}
    for i = 1, 8 do qs[i] = { seller_id = "237", page = i } end
    local pages, errs = cl:livestreams_many(qs, { concurrency = 8 })
    cl:close()
    assert.is_nil(errs)
    for i = 1, 8 do assert.equals(i, pages[i].page) end
    local st = h2:stats()
    assert.equals(8, st.requests)
    assert.equals(1, st.connections)
  end)

  it("uses a connection per concurrent request with http2 = false", function()
    fresh(h2)
    local cl, lines = client(h2, { http2 = false })
    local qs = {}
    for i = 1, 4 do qs[i] = { seller_id = "237", page = i } end
    local _, errs = cl:livestreams_many(qs, { concurrency = 4 })
    cl:close()
    assert.is_nil(errs)
    assert.equals(4, h2:stats().connections)
    assert.is_true(saw(lines, "ALPN: server accepted http/1.1"))
    assert.is_false(saw(lines, "ALPN: offers h2"))
  end)

  it("falls back to HTTP/1.1 when the server offers no h2", function()
    local lines = whole_shop(h1, 4)
    assert.is_true(saw(lines, "ALPN: offers h2"))
    assert.is_true(saw(lines, "ALPN: server accepted http/1.1"))
    local st = h1:stats()
    assert.is_true(st.connections > 1 and st.connections <= 4)
  end)

  it("keeps plain http:// on HTTP/1.1", function()
    local sb = sandbox.shared()
    local cl, lines = client({ tls_url = sb.url })
    local page, err = cl:livestreams{ seller_id = "237" }
    cl:close()
    assert.is_nil(err)
    assert.equals(10, #page.records)
    assert.is_true(saw(lines, "HTTP/1.1 200"))
  end)

  it("rejects a non-boolean http2 option", function()
    local ok, msg = pcall(env.shoplive.new, { api_key = env.KEY, http2 = "yes" })
    assert.is_false(ok)
    assert.matches("option 'http2' must be a boolean", msg)
  end)
end)
