-- The cosocket transport's body inside a real nginx: the transfer keeps it
-- as pieces of its socket reads, which the decoder reads as they are: no
-- string.sub / table.concat copy of a page on each page (issue 18's per-page
-- CPU); the body handed to the store (x:body()) and the decoded page are
-- still the server's bytes, whatever the framing. The upstream is a
-- location of the same nginx serving a sandbox page (6 kB: more than one
-- 4 kB cosocket read), in one write or split by a flush and a pause.
local sandbox = require("support.sandbox")
local nginx_lua = require("support.nginx_lua")
local core = require("shoplive.core")

local QUERY = "/v1/tiktok/shop/livestreams/analytics?seller_id=237&page_num=1&page_size=10"

-- /page/<mode>/v1/...: the page, framed by mode: length (Content-Length,
-- one write), chunk (chunked, one chunk), length_split / chunk_split (the
-- same, half of the body 50 ms after the rest), tiny (chunks of 1 to 8
-- bytes, each flushed: about 770 of them). /x?mode=: one GET through
-- the cosocket transport, what its transfer holds, as JSON.
local LOCATIONS = [[
    location ~ ^/page/(?<mode>[a-z_]+)/ { content_by_lua_block {
      local mode, half = ngx.var.mode, math.floor(#BODY / 2)
      ngx.header.content_type = "application/json"
      if mode:sub(1, 6) == "length" then ngx.header.content_length = #BODY end
      if mode == "tiny" then -- chunks of 1 to 8 bytes, each flushed
        local i = 1
        while i <= #BODY do
          ngx.print(BODY:sub(i, i + i % 8))
          ngx.flush(true)
          i = i + i % 8 + 1
        end
        return
      end
      if mode:sub(-6) ~= "_split" then ngx.print(BODY); return end
      ngx.print(BODY:sub(1, half))
      ngx.flush(true)
      ngx.sleep(0.05)
      ngx.print(BODY:sub(half + 1))
    } }
    location = /x { content_by_lua_block {
      local tr = require("shoplive.transport.cosocket").new{ api_key = "sk_body_spec", timeout = 10 }
      local x = tr:start("http://127.0.0.1:" .. ngx.var.server_port .. "/page/" .. ngx.var.arg_mode
        .. "]] .. QUERY .. [[")
      while not x:done() do tr:perform(10) end
      local ok, bytes = x:outcome()
      local uncopied = x.parts ~= nil and x.data == nil
      local pieces = x.parts and #x.parts / 3
      local page = assert(x:decode())
      local body = x:body()
      ngx.say(require("cjson").encode{ ok = ok, bytes = bytes, info_bytes = x:info().bytes,
        uncopied = uncopied, pieces = pieces, records = #page.records, room_id = page.records[1].room_id,
        same = body == BODY, len = #body })
      tr:close()
    } }
]]

describe("OpenResty: the cosocket transport's body #novalgrind #nginx", function()
  local srv, body_path, body
  setup(function()
    local sb = sandbox.start{}
    local status, _
    status, _, body = sb:api{ seller_id = "237", page_num = 1, page_size = 10 }
    sb:stop()
    assert.equals(200, status)
    body_path = os.tmpname()
    local f = assert(io.open(body_path, "w"))
    f:write(body)
    f:close()
    srv = nginx_lua.start{
      http = "  init_by_lua_block { BODY = assert(io.open('" .. body_path .. "')):read('*a') }",
      locations = LOCATIONS,
    }
  end)
  teardown(function()
    if srv then srv.stop() end
    if body_path then os.remove(body_path) end
  end)

  local function x(mode)
    local res = sandbox.raw_get(srv.url, "/x?mode=" .. mode, nil, 60)
    assert.equals(200, res.status, res.body .. srv.log())
    return core.json_decode(res.body)
  end

  local function same_page(r)
    assert.is_true(r.ok)
    assert.equals(#body, r.bytes)
    assert.equals(#body, r.info_bytes)
    assert.equals(10, r.records)
    assert.equals(core.decode_response(body).records[1].room_id, r.room_id)
    assert.is_true(r.same)
    assert.equals(#body, r.len)
  end

  it("Content-Length or chunked, in one write or two: the body stays in the reads, uncopied, and decodes", function()
    for _, mode in ipairs{ "length", "chunk", "length_split", "chunk_split" } do
      local r = x(mode)
      same_page(r)
      assert.is_true(r.uncopied, mode)
    end
  end)

  it("a body in about 770 tiny chunks: the same bytes and page, kept in a piece per 64 chunks", function()
    local r = x("tiny")
    same_page(r)
    assert.is_true(r.uncopied)
    -- before the packing: three table slots per chunk
    assert.is_true(r.pieces <= math.ceil(#body / 4 / 64) + 64, tostring(r.pieces))
  end)
end)
