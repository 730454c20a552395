-- HTTPS connection and TLS session reuse, counted by the server: a whole
-- shop over one connection and one handshake, and later connections of the
-- same client resuming its TLS session (libcurl's share interface) instead
-- of a full handshake.
local env = require("support.env")
local sandbox = require("support.sandbox")
local certs = require("support.certs")

describe("HTTPS reuse", function()
  local c, sb
  setup(function()
    c = certs.make()
    sb = sandbox.start{ tls_cert = c.cert, tls_key = c.key, tls_http2 = true }
  end)
  teardown(function()
    if sb then sb:stop() end
    if c then c:remove() end
  end)

  local function client(opts)
    local o = { api_key = env.KEY, base_url = sb.tls_url, ca_file = c.ca, max_retries = 0 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return env.shoplive.new(o)
  end

  for _, h2 in ipairs{ true, false } do
    it("fetches a whole shop on one connection with one handshake (http2 = " .. tostring(h2) .. ")", function()
      sb:reset()
      local cl = client{ http2 = h2 }
      local n = 0
      for page in cl:pages{ seller_id = "999" } do n = n + #page.records end
      cl:close()
      assert.equals(999, n)
      local st = sb:stats()
      assert.equals(100, st.requests)
      assert.equals(1, st.connections)
      assert.equals(1, st.tls_handshakes)
      assert.equals(0, st.tls_resumed)
    end)
  end

  it("resumes the client's TLS session on each later connection", function()
    sb:reset()
    local cl = client{ http2 = false, max_retries = 1, backoff_base = 0.01, backoff_max = 0.05 }
    assert(cl:livestreams{ seller_id = "237" })
    -- The server drops the pooled connection three times: each request goes
    -- on a new connection, which resumes the session the last one received.
    for page = 2, 4 do
      sb:fault{ type = "close" }
      assert(cl:livestreams{ seller_id = "237", page = page })
    end
    local st = sb:stats()
    assert.equals(4, st.connections)
    assert.equals(4, st.tls_handshakes)
    assert.equals(3, st.tls_resumed)
    -- Sessions are per client: another client starts with a full handshake.
    sb:reset()
    local other = client{ http2 = false }
    assert(other:livestreams{ seller_id = "237" })
    other:close()
    cl:close()
    st = sb:stats()
    assert.equals(1, st.tls_handshakes)
    assert.equals(0, st.tls_resumed)
  end)

  it("offers its TLS session on connections opened side by side", function()
    sb:reset()
    sb:config{ latency = 0.05 }
    local cl = client{ http2 = false }
    assert(cl:livestreams{ seller_id = "237" })
    -- HTTP/1.1 with 4 in flight: the pooled connection and 3 new ones, all
    -- offering the one ticket the client holds. A TLS 1.3 server may take a
    -- ticket only once (RFC 8446 C.4): when one new connection's handshake
    -- ends before the others' start, they resume its newer ticket; when
    -- their hellos cross, only the first resumes. At least one always does.
    local qs = {}
    for i = 1, 4 do qs[i] = { seller_id = "237", page = i } end
    local _, errs = cl:livestreams_many(qs, { concurrency = 4 })
    cl:close()
    assert.is_nil(errs)
    local st = sb:stats()
    assert.equals(4, st.connections)
    assert.equals(4, st.tls_handshakes)
    assert.is_true(st.tls_resumed >= 1 and st.tls_resumed <= 3, "resumed " .. st.tls_resumed .. " of 3")
  end)
end)
