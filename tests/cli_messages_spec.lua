-- Issue 20 items 10 and 11, issue 21 item 17b: what the command says. A
-- complete run logs what it spent when stderr is no terminal (cron's
-- 2>>log), counts agree with their nouns, a usage error comes first, sync
-- takes -q and -v, and a shop's error line has one "shoplive:" prefix.
local env = require("support.env")
local cli = require("support.cli_run")
local pgsupport = require("support.postgres")

local run, lines, sh_quote = cli.run, cli.lines, env.sh_quote

local tmp = cli.tmpdir()
teardown(function() os.execute("rm -rf " .. sh_quote(tmp)) end)

before_each(function() env.reset() end)

local LOG = "^shoplive: command=(%a+) pages=(%d+) records=(%d+) credits=(%d+) seconds=(%d+%.%d%d)\n$"

describe("the closing line on a stderr that is no terminal (item 10) #novalgrind", function()
  it("is one key=value line, no CR or escape, after a complete run; -q leaves it out", function()
    -- run() sends stderr to a file, as cron's 2>>log does
    for _, args in ipairs{ "livestreams 25 -f csv", "summary 25 12", "livestreams 1 -o " .. sh_quote(tmp .. "/o") } do
      env.reset()
      local status, _, text = run(args, nil, { stdout = ">/dev/null" })
      assert.equals(0, status, args)
      local command, pages, records, credits = text:match(LOG)
      assert.is_string(command, args .. ": " .. tostring(text))
      assert.equals(args:match("^%a+"), command)
      assert.equals(env.requests(), tonumber(pages))
      assert.equals(env.credits(), tonumber(credits))
      assert.is_true(tonumber(records) > 0)
      assert.is_nil(text:find("[\r\27]"))
    end
    local status, out, err = run("livestreams 25 -f csv -q")
    assert.equals(0, status)
    assert.equals("", err)
    assert.truthy(#out > 0)
  end)

  it("a failed run keeps its one err line", function()
    cli.expect({ status = 1, err = "shoplive: auth: apiKey is invalid (HTTP 401, 1 attempt)\n" }, "livestreams 1",
      { KEYAPI_API_KEY = "sk_test_invalid" })
  end)
end)

describe("counts and their nouns (item 11) #novalgrind", function()
  it("sync says 1 shop, 1 page, 1 credit, 1 cache hit", function()
    local db = sh_quote(tmp .. "/one.db")
    cli.expect({ status = 0, out = "sync: 1/1 shop done, 1 page, 1 credit, 0 cache hits, 1 new, 0 changed, 0 failed\n" },
      "sync --db " .. db .. " 1")
    cli.expect({ status = 0, out = "sync: 1/1 shop done, 1 page, 0 credits, 1 cache hit, 0 new, 0 changed, 0 failed\n" },
      "sync --db " .. db .. " 1")
  end)

  it("-v and a partial run's lines say 1 page, 1 record", function()
    cli.expect({ status = 0, err = "shoplive: shop 1: 1 page, 1 record\n" }, "livestreams 1 -f ndjson -v -q")
    env.sandbox():fault{ type = "status", status = 400 }
    local status, _, err = run("livestreams 11 1 -f ndjson -q")
    assert.equals(1, status)
    assert.matches("incomplete %(1 of 2 shops failed%): kept 1 record in standard output; credits spent: 1\n$", err)
  end)
end)

describe("usage errors (item 11) #novalgrind", function()
  it("print the error first, then a one-line hint, not the usage text", function()
    for args, cmd in pairs{ ["livestreams 1 --format xml"] = "livestreams", ["sync --bogus"] = "sync",
        ["summary"] = "summary", ["bogus"] = "" } do
      local status, out, err = run(args)
      assert.equals(2, status, args)
      assert.equals("", out)
      local ls = lines(err)
      assert.equals(2, #ls, err)
      assert.matches("^Error: ", ls[1])
      assert.equals("try shoplive " .. (cmd ~= "" and cmd .. " " or "") .. "--help", ls[2])
    end
  end)
end)

describe("sync -q and -v (item 11) #novalgrind", function()
  it("-v: one line per shop; -q: accepted", function()
    local db = sh_quote(tmp .. "/v.db")
    local status, out, err = run("sync --db " .. db .. " 10 1 -v --concurrency 1")
    assert.equals(0, status, err)
    assert.equals("shoplive: shop 10: 2 pages (0 cache hits)\nshoplive: shop 1: 1 page (0 cache hits)\n", err)
    assert.matches("^sync: 2/2 shops done, 3 pages, 3 credits", out)
    status, out, err = run("sync --db " .. db .. " 10 -q")
    assert.equals(0, status, err)
    assert.equals("", err)
    assert.matches("^sync: 1/1 shop done, 2 pages, 0 credits, 2 cache hits", out)
  end)
end)

describe("a shop's error line (item 17b) #novalgrind", function()
  it("has one prefix in sync: shoplive: shop ID: kind: ...", function()
    env.sandbox():fault{ type = "status", status = 400 }
    local status, _, err = run("sync --db " .. sh_quote(tmp .. "/e.db") .. " 12 --concurrency 1")
    assert.equals(1, status)
    assert.equals("shoplive: shop 12: bad_request: Missing required parameter: handle (HTTP 400, 1 attempt)\n", err)
  end)

  it("has one prefix in livestreams and summary", function()
    for _, cmd in ipairs{ "livestreams", "summary" } do
      env.reset()
      env.sandbox():fault{ type = "status", status = 400 }
      local status, _, err = run(cmd .. " 12 1 -q")
      assert.equals(1, status)
      assert.equals("shoplive: shop 12: bad_request: Missing required parameter: handle (HTTP 400, 1 attempt)",
        lines(err)[1])
    end
  end)
end)

local pg, pg_why = pgsupport.start()
teardown(function() if pg then pg:stop() end end)

describe("queue add (item 11) #novalgrind", function()
  if pgsupport.missing(pg, pg_why, it) then return end

  it("mentions the shops already queued only when there were some", function()
    local q = " --db " .. sh_quote(pg.url) .. " --queue words"
    local status, out = run("queue add 5 6" .. q)
    assert.equals(0, status)
    assert.equals("queue words: 2 of 2 shops queued\n", out)
    status, out = run("queue add 5 7" .. q)
    assert.equals(0, status)
    assert.equals("queue words: 1 of 2 shops queued (the other was already pending or claimed)\n", out)
    status, out = run("queue add 5 6 7 8" .. q)
    assert.equals(0, status)
    assert.equals("queue words: 1 of 4 shops queued (the others were already pending or claimed)\n", out)
    status, out = run("queue add 9" .. q)
    assert.equals(0, status)
    assert.equals("queue words: 1 of 1 shop queued\n", out)
  end)
end)
