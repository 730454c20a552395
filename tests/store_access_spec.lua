-- shoplive.store.open against a real PostgreSQL 15 cluster this spec starts:
-- URL forms (the scheme in any case; typos refused before anything is
-- created) and write access checked at open, before the first paid request.
-- Credits are counted by the sandbox server.
local env = require("support.env")
local cli = require("support.cli_run")
local pgsupport = require("support.postgres")
local store = env.shoplive.store

local pg, pg_why = pgsupport.start_with_tmpdir(teardown)

local credits = env.credits
local READER_PW = "rd-Pw-0xq7"

describe("shoplive.store.open", function()
  before_each(function() env.sandbox():reset() end)

  it("refuses a mistyped URL at the caller, naming the argument, with the password cut", function()
    for _, t in ipairs{ "postgresql:/u:" .. READER_PW .. "@127.0.0.1:1/db", "file:x.db?nolock=1", ":memory:",
      "postgresql://u:rd-Pw/0xq7@127.0.0.1:1/db" } do
      local ok, msg = pcall(function() local s = store.open(t) return s end)
      assert.is_false(ok)
      assert.equals("string", type(msg))
      assert.matches("^[^:]*store_access_spec%.lua:%d+: shoplive%.store%.open: argument 'target': ", msg)
      assert.is_nil(msg:find("rd-Pw", 1, true), msg)
    end
  end)

  if pgsupport.missing(pg, pg_why, it) then return end

  it("takes the URL scheme in any case (POSTGRESQL://) and creates no local file", function()
    local url = pg:database("upper")
    local cwd0 = cli.ls(".")
    local s = store.open((url:gsub("^postgresql", "POSTGRESQL")))
    assert.equals("postgresql", s.dialect.name)
    s:close()
    s = store.open((url:gsub("^postgresql", "Postgres")))
    assert.equals("postgresql", s.dialect.name)
    s:close()
    assert.same(cwd0, cli.ls("."))
  end)

  describe("with a role that may only read", function()
    local url, reader
    setup(function()
      url = pg:database("readonly")
      store.open(url):close() -- the owner creates the tables
      assert.equals(0, (pg:psql("CREATE ROLE reader LOGIN PASSWORD '" .. READER_PW .. "'; "
        .. "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader", "readonly")))
      reader = url:gsub("^(postgresql://)[^@]*@", "%1reader:" .. READER_PW .. "@")
    end)

    it("refuses to open for writing, before any request, without the password", function()
      local ok, err = pcall(store.open, reader)
      assert.is_false(ok)
      assert.equals("store", err.kind)
      assert.matches("cannot write to the database", err.message, 1, true)
      assert.matches("permission denied", err.message, 1, true)
      assert.is_nil(tostring(err):find(READER_PW, 1, true), tostring(err))
      local status, out, serr = cli.run("sync 237 --db '" .. reader .. "'")
      assert.equals(1, status)
      assert.equals("", out)
      assert.matches("cannot write to the database", serr, 1, true)
      assert.is_nil(serr:find(READER_PW, 1, true), serr)
      assert.equals(0, credits())
    end)

    it("opens for reading with opts.readonly (and --offline)", function()
      local owner = store.open(url)
      local c = env.client{ store = owner }
      assert(c:sync{ sellers = { "237" } })
      c:close()
      owner:close()
      local s = store.open(reader, { readonly = true })
      assert.equals(237, #assert(s:livestreams{ seller_id = "237" }))
      c = env.client{ store = s }
      local ok, msg = pcall(function() local r = c:sync{ sellers = { "10" } } return r end)
      assert.is_false(ok)
      assert.matches("store_access_spec%.lua:%d+: sync: the client's store was opened with readonly = true", msg)
      c:close()
      s:close()
      local status, out, err = cli.run("summary 237 --offline --format json --db '" .. reader .. "'",
        { KEYAPI_API_KEY = "" })
      assert.equals(0, status, err)
      assert.matches('"count":237', out, 1, true)
      -- queue status only reads: a role that may only read can watch a crawl
      status, out, err = cli.run("queue status --queue daily --db '" .. reader .. "'")
      assert.equals(0, status, err)
      assert.matches("daily", out, 1, true)
      assert.equals(24, credits())
    end)
  end)
end)
