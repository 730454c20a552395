-- HTTPS against the sandbox with a throwaway CA made here.
local env = require("support.env")
local sandbox = require("support.sandbox")

-- connect_timeout covers the TLS handshake: under valgrind, beside a second
-- copy of the suite, the default 10 s ran out before the verdict on the
-- certificate
local SLOW = 60

local function sh(cmd)
  assert(env.sh_ok(cmd .. " >/dev/null 2>&1"), cmd) -- sh_ok: os.execute gives 0, not true, on 5.1
end

describe("TLS", function()
  local dir, sb
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    sh("mkdir -p " .. dir)
    local ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    sh("cd " .. dir .. " && openssl req -x509 " .. ec .. " -keyout ca.key -out ca.pem -days 2 -subj '/CN=shoplive test CA'")
    for _, c in ipairs{ { "good", "subjectAltName=IP:127.0.0.1,DNS:localhost" }, { "wrong", "subjectAltName=DNS:wrong.example" } } do
      sh("cd " .. dir .. " && openssl req " .. ec .. " -keyout " .. c[1] .. ".key -out " .. c[1] .. ".csr -subj '/CN=" .. c[1]
        .. "' && printf '" .. c[2] .. "' > " .. c[1] .. ".ext && openssl x509 -req -in " .. c[1] .. ".csr -CA ca.pem"
        .. " -CAkey ca.key -CAcreateserial -out " .. c[1] .. ".pem -days 2 -extfile " .. c[1] .. ".ext")
    end
    sb = sandbox.start{ tls_cert = dir .. "/good.pem", tls_key = dir .. "/good.key" }
  end)
  teardown(function()
    if sb then sb:stop() end
    os.execute("rm -rf " .. dir)
  end)

  it("succeeds with ca_file pointing at the CA", function()
    local c = env.shoplive.new{ api_key = env.KEY, base_url = sb.tls_url, connect_timeout = SLOW, ca_file = dir .. "/ca.pem" }
    local page, err = c:livestreams{ seller_id = "237" }
    assert.is_nil(err)
    assert.equals(10, #page.records)
    c:close()
  end)

  it("fails with a transport error naming the certificate without it", function()
    sb:reset()
    local c = env.shoplive.new{ api_key = env.KEY, base_url = sb.tls_url, connect_timeout = SLOW, max_retries = 0 }
    local page, err = c:livestreams{ seller_id = "237" }
    assert.is_nil(page)
    assert.equals("transport", err.kind)
    assert.matches("certificate", err.message)
    assert.equals(0, sb:stats().requests)
    c:close()
  end)

  it("rejects a certificate for another host even from the trusted CA", function()
    local sb2 = sandbox.start{ tls_cert = dir .. "/wrong.pem", tls_key = dir .. "/wrong.key" }
    local c = env.shoplive.new{ api_key = env.KEY, base_url = sb2.tls_url, connect_timeout = SLOW, ca_file = dir .. "/ca.pem", max_retries = 0 }
    local _, err = c:livestreams{ seller_id = "237" }
    sb2:stop()
    c:close()
    assert.equals("transport", err.kind)
    assert.matches("certificate", err.message)
  end)

  it("has no option that turns verification off", function()
    for _, opt in ipairs{ "verify", "ssl_verify", "insecure", "verify_peer", "ssl_verifypeer" } do
      local ok, msg = pcall(env.shoplive.new, { api_key = env.KEY, [opt] = false })
      assert.is_false(ok)
      assert.matches("unknown option", msg)
    end
  end)
end)
