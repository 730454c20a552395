-- bench/floor_bench.lua - CPU per page against the floor: shoplive next to a
-- raw libcurl program (bench/floor/floor.c: one reused easy handle, no
-- decoding) plus lua-cjson's decode of the same page, and next to its peers
-- (luasocket + lua-cjson, luasocket + luasec over HTTPS, Python
-- requests.Session), over plain HTTP, HTTPS and HTTP/2.
--
-- Every way runs in a child process that reports the CPU time (user + system)
-- of its fetch loop only, so interpreter start-up, module loading and
-- libcurl's global init are left out; each way runs RUNS times and the median
-- is used. The sandbox is our own (TLS with a throwaway CA, h2 offered by
-- ALPN) so the server can count connections, TLS handshakes and resumed
-- sessions for every run.
--
-- Section "floor" of bench/run.lua; alone:
--   make bench-floor && LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" \
--     LUA_CPATH="$PWD/build/5.4/?.so;;" tools/with-sandbox lua5.4 bench/run.lua floor --no-write
-- FLOOR_BIN names the floor program (default build/5.4/floor, where
-- `make bench-floor` puts it).
package.path = "tests/?.lua;" .. package.path
local sandbox = require("support.sandbox")
local certs = require("support.certs")

local SELLER = "100000"  -- 10,000 full pages: every run's pages are full
local PAGES = tonumber(os.getenv("FLOOR_PAGES")) or 2000 -- FLOOR_PAGES, FLOOR_RUNS: a quick smoke run
-- luasec's handshake per page also waits on delayed ACKs (~40 ms a page of
-- wall time here): fewer pages keep its rows to seconds; CPU is per page.
local LUASEC_PAGES = math.min(200, PAGES)
local RUNS = tonumber(os.getenv("FLOOR_RUNS")) or 5
local KEY = "sk_test_floor"
local FLOOR = os.getenv("FLOOR_BIN") or "build/5.4/floor"

local function us(x) return string.format("%.1f", x * 1e6) end
local function ratio(x) return string.format("%.2f", x) end

--- Run a way RUNS times: median CPU per page and the server's counts
-- (median over the runs). env: { ctx, sb }.
local function measure(env, cmd, pages)
  local median = env.ctx.median
  local cpu, conns, hs, res = {}, {}, {}, {}
  for _ = 1, RUNS do
    env.sb:reset()
    local out, good = env.ctx.sh(cmd)
    local n, s = out:match("pages=(%d+).-cpu=([%d.]+)")
    if not good or not n or tonumber(n) ~= pages then
      error("floor bench: `" .. cmd .. "` failed: " .. out)
    end
    local st = env.sb:stats()
    cpu[#cpu + 1] = tonumber(s) / pages
    conns[#conns + 1] = st.connections
    hs[#hs + 1] = st.tls_handshakes
    res[#res + 1] = st.tls_resumed
  end
  return { cpu = median(cpu), conns = median(conns), hs = median(hs), resumed = median(res),
    min = math.min(table.unpack(cpu)), max = math.max(table.unpack(cpu)) }
end

--- The command lines of the ways, for a ctx.
local function commands(ctx)
  local q, LUA, python = ctx.sh_quote, ctx.lua, ctx.python
  local args = " " .. KEY .. " " .. SELLER .. " " .. PAGES
  local cmd = {}
  function cmd.floor(base, v, ca) return q(FLOOR) .. " " .. q(base) .. args .. " " .. v .. (ca and (" " .. q(ca)) or "") end
  function cmd.shoplive(base, mode, ca, h2)
    return q(LUA) .. " bench/floor/shoplive_pages.lua " .. q(base) .. args .. " " .. mode .. " " .. q(ca or "")
      .. (h2 ~= nil and (" " .. tostring(h2)) or "")
  end
  function cmd.luasocket(base, ca)
    local n = ca and LUASEC_PAGES or PAGES
    return q(LUA) .. " bench/floor/luasocket_cjson.lua " .. q(base) .. " " .. KEY .. " " .. SELLER .. " " .. n
      .. (ca and (" " .. q(ca)) or ""), n
  end
  function cmd.python(base, ca)
    return python and (q(python) .. " bench/floor/python_requests.py " .. q(base) .. args .. (ca and (" " .. q(ca)) or ""))
  end
  return cmd
end

--- lua-cjson's decode of the same pages: the decoding half of the floor.
-- Returns the median CPU per page decoding fresh pages, and one page again.
local function cjson_decode(env)
  local ctx = env.ctx
  ctx.log("floor: lua-cjson decode of %d pages (%d runs)...", PAGES, RUNS)
  local dec, same = {}, {}
  for _ = 1, RUNS do
    local out, good = ctx.sh(ctx.sh_quote(ctx.lua) .. " bench/floor/cjson_decode.lua " .. ctx.sh_quote(env.sb.url) .. " "
      .. KEY .. " " .. SELLER .. " " .. PAGES .. " 2>&1")
    local s, s2 = out:match("cpu=([%d.]+) cpu_same=([%d.]+)")
    assert(good and s, "cjson_decode.lua failed: " .. out)
    dec[#dec + 1] = tonumber(s) / PAGES
    same[#same + 1] = tonumber(s2) / PAGES
  end
  return ctx.median(dec), ctx.median(same)
end

--- The rows of a scenario's table.
local function scenario_rows(ways, res, floor, main, decode)
  local rows = { { "way", "CPU us/page (median of " .. RUNS .. ")", "min..max", "x floor", "x shoplive",
    "connections", "TLS handshakes (resumed)" } }
  for i, w in ipairs(ways) do
    local r = res[i]
    if not r then
      rows[#rows + 1] = { w.name, "skipped: needs " .. (w.missing or "?"), "", "", "", "", "" }
    else
      rows[#rows + 1] = { w.name, us(r.cpu), us(r.min) .. ".." .. us(r.max), ratio(r.cpu / floor),
        ratio(r.cpu / main), string.format("%d", r.conns),
        r.hs > 0 and string.format("%d (%d)", r.hs, r.resumed) or "-" }
      if w.kind == "floor" then
        rows[#rows + 1] = { "  + lua-cjson decode of the page = the floor", us(floor), "(decode " .. us(decode) .. ")",
          "1.00", ratio(floor / main), "", "" }
      end
    end
  end
  return rows
end

--- One table: ways = { {name, cmd, kind} } with kind "floor" (the raw
-- libcurl program: the floor adds lua-cjson's decode to it), "shoplive"
-- (goal rows) or "peer".
local function scenario(env, title, ways, goals)
  local ctx = env.ctx
  ctx.log("floor: %s", title)
  local res, floor, main = {}, nil, nil
  for i, w in ipairs(ways) do
    if w.cmd then
      ctx.log("  %s", w.name)
      res[i] = measure(env, w.cmd, w.pages or PAGES)
      if w.kind == "floor" then floor = res[i].cpu + env.decode end
      if w.main then main = res[i].cpu end
    end
  end
  ctx.section(title)
  ctx.emit_table(scenario_rows(ways, res, floor, main, env.decode))
  if goals then goals(res, floor, main) end
  return res
end

local function vs_peer(ctx, res, i, main, want, name)
  local r = res[i]
  if not r then
    ctx.goal(name, false, "peer not run")
    return
  end
  ctx.goal(name, r.cpu / main >= want, string.format("%.2fx less CPU per page (%s vs %s us)", r.cpu / main,
    us(r.cpu), us(main)))
end

local function plain_http(env, cmd)
  local ctx, plain = env.ctx, env.sb.url
  scenario(env, string.format("5A. CPU per page, plain HTTP: %d sequential pages of shop %s, keep-alive where the way "
    .. "has it", PAGES, SELLER), {
    { name = "raw libcurl, one easy handle, no decoding (bench/floor/floor.c)", kind = "floor",
      cmd = cmd.floor(plain, "1.1") },
    { name = "shoplive client:livestreams{} per page", cmd = cmd.shoplive(plain, "livestreams"), main = true },
    { name = "shoplive client:pages{}", cmd = cmd.shoplive(plain, "pages") },
    { name = "luasocket + lua-cjson (a connection per page)", cmd = cmd.luasocket(plain) },
    { name = "Python requests.Session", cmd = cmd.python(plain), missing = "python3-requests" },
  }, function(res, floor, main)
    ctx.goal("plain HTTP: shoplive CPU/page <= 1.0x raw libcurl + lua-cjson decode", main <= floor * 1.0,
      string.format("%.2fx (%s vs %s us)", main / floor, us(main), us(floor)))
    vs_peer(ctx, res, 4, main, 2, "plain HTTP: >= 2x less CPU/page than luasocket + lua-cjson")
    vs_peer(ctx, res, 5, main, 8, "plain HTTP: >= 8x less CPU/page than Python requests")
  end)
end

local function https(env, cmd)
  local ctx, tls, ca = env.ctx, env.sb.tls_url, env.ca
  scenario(env, string.format("5B. CPU per page, HTTPS (HTTP/1.1 over TLS 1.3, ECDSA P-256): %d sequential pages",
    PAGES), {
    { name = "raw libcurl, one easy handle, HTTP/1.1, no decoding", kind = "floor", cmd = cmd.floor(tls, "1.1", ca) },
    { name = "shoplive client:livestreams{} per page, http2 = false", cmd = cmd.shoplive(tls, "livestreams", ca, false),
      main = true },
    { name = "shoplive client:pages{}, http2 = false", cmd = cmd.shoplive(tls, "pages", ca, false) },
    { name = string.format("luasocket + luasec + lua-cjson (a connection and handshake per page; %d pages)",
      LUASEC_PAGES), cmd = cmd.luasocket(tls, ca), pages = LUASEC_PAGES },
    { name = "Python requests.Session", cmd = cmd.python(tls, ca), missing = "python3-requests" },
  }, function(res, floor, main)
    ctx.goal("HTTPS: shoplive CPU/page <= 1.1x raw libcurl + lua-cjson decode", main <= floor * 1.1,
      string.format("%.2fx (%s vs %s us)", main / floor, us(main), us(floor)))
    vs_peer(ctx, res, 4, main, 5, "HTTPS: >= 5x less CPU/page than luasocket + luasec")
    local r = res[2]
    ctx.goal("HTTPS: one connection and one TLS handshake for the whole run", r.conns == 1 and r.hs == 1,
      string.format("%d connection(s), %d handshake(s) for %d pages", r.conns, r.hs, PAGES))
  end)
end

local function http2(env, cmd)
  local ctx, tls, ca = env.ctx, env.sb.tls_url, env.ca
  scenario(env, string.format("5C. HTTP/2 over TLS: %d pages; the concurrent rows keep 8 pages in flight", PAGES), {
    { name = "raw libcurl, one easy handle, h2, no decoding", kind = "floor", cmd = cmd.floor(tls, "2", ca) },
    { name = "shoplive client:livestreams{} per page (http2 default)", cmd = cmd.shoplive(tls, "livestreams", ca),
      main = true },
    { name = "shoplive client:pages{} (http2 default)", cmd = cmd.shoplive(tls, "pages", ca) },
    { name = "shoplive client:pages{ concurrency = 8 } (http2 default)", cmd = cmd.shoplive(tls, "conc8", ca) },
    { name = "shoplive client:pages{ concurrency = 8 }, http2 = false", cmd = cmd.shoplive(tls, "conc8", ca, false) },
  }, function(res)
    local r = res[4]
    ctx.goal("HTTP/2: concurrency 8 shares one connection (one handshake)", r.conns == 1 and r.hs == 1,
      string.format("%d connection(s), %d handshake(s); with http2 = false: %d connections, %d resumed",
        r.conns, r.hs, res[5].conns, res[5].resumed))
  end)
end

local function note(ctx, decode, decode_same)
  ctx.note("CPU is user + system time of the fetch loop in the way's own process (getrusage, os.clock, "
    .. "time.process_time), so start-up is excluded; the server's work is not in it. The floor is the raw "
    .. "libcurl program plus lua-cjson's decode of the same pages, each once (" .. us(decode) .. " us a page, "
    .. "measured alone; decoding one page over and over costs " .. us(decode_same) .. " us, because every string "
    .. "of it is already interned and the caches are hot, so that figure would understate the floor). "
    .. "\"x shoplive\" > 1 means more CPU per page than shoplive's livestreams{} row. Connections and TLS "
    .. "handshakes (resumed sessions in brackets) are counted by the server for each run.")
end

return function(ctx)
  local c = certs.make()
  local sb = sandbox.start{ tls_cert = c.cert, tls_key = c.key, tls_http2 = true }
  local ok, err = pcall(function()
    local env = { ctx = ctx, sb = sb, ca = c.ca }
    local decode, decode_same = cjson_decode(env)
    env.decode = decode
    local cmd = commands(ctx)
    plain_http(env, cmd)
    https(env, cmd)
    http2(env, cmd)
    note(ctx, decode, decode_same)
  end)
  sb:stop()
  c:remove()
  if not ok then error(err, 0) end
end
