-- The command line's output under failure: write errors, -o through a temp
-- file, partial output, Ctrl-C, usage errors (issue 14 items 9-12, 17).
local env = require("support.env")
local cli = require("support.cli_run")
local core = require("shoplive.core")

local sh_quote = env.sh_quote
local run, read, lines = cli.run, cli.read, cli.lines

-- Faults that let the first n requests through untouched, then a 400.
local function fail_at_page(sb, n)
  sb:fault{ type = "latency", seconds = 0, count = n - 1 }
  sb:fault{ type = "status", status = 400 }
end

local wait_for = env.wait_for

local started = {} -- pids to stop should a test fail before they exit

--- Start the CLI in the background; returns a handle with pid, rc().
local function start(args, dir)
  cli.spawn(args, dir)
  assert(wait_for(function() return read(dir .. "/pid") ~= nil end))
  local h = { pid = tonumber(read(dir .. "/pid")) }
  started[#started + 1] = h.pid
  function h.rc()
    assert(wait_for(function() return read(dir .. "/rc") ~= nil end), "the CLI did not exit")
    return tonumber(read(dir .. "/rc"))
  end
  return h
end

describe("shoplive CLI output", function()
  -- a reset sandbox and a fresh temp dir for each test
  local t = cli.tmpdir_each(before_each, after_each)
  local sb, dir
  before_each(function() sb, dir = env.sandbox(), t.dir end)
  after_each(function()
    for _, pid in ipairs(started) do
      if require("support.sandbox").alive(pid) then os.execute("kill -TERM " .. pid) end
    end
    started = {}
    sb:reset()
  end)

  describe("write errors (item 9)", function()
    it("> /dev/full: exit 1, one line naming stdout and the OS error, fetching stopped", function()
      local status, _, err = run("livestreams 237 --format ndjson", nil, { stdout = ">/dev/full" })
      assert.equals(1, status)
      assert.equals(1, #lines(err))
      assert.matches("^shoplive: cannot write standard output: No space left on device", err)
      assert.equals(1, env.requests())
    end)

    it("-o /dev/full: exit 1, the device is written in place, never replaced", function()
      local status, _, err = run("livestreams 237 --format csv -o /dev/full")
      assert.equals(1, status)
      assert.equals("shoplive: cannot write /dev/full: No space left on device", lines(err)[1]:match("^(.-) %("))
      assert.equals(1, #lines(err))
      assert.equals(1, env.requests())
      assert.is_true(env.sh_ok("test -c /dev/full"))
    end)

    it("a pipe whose reader is gone, with SIGPIPE ignored: exit 1 at the first page", function()
      local fifo = dir .. "/p"
      local pre = "trap '' PIPE; mkfifo " .. sh_quote(fifo) .. "; exec 3<>" .. sh_quote(fifo) .. "; exec 4>"
        .. sh_quote(fifo) .. "; exec 3<&-; "
      local status, _, err = run("livestreams 237 --format json", nil, { pre = pre, stdout = ">&4" })
      assert.equals(1, status)
      assert.equals(1, #lines(err))
      assert.matches("^shoplive: cannot write standard output: Broken pipe", err)
      assert.equals(1, env.requests())
    end)
  end)

  describe("-o FILE (item 10)", function()
    local function check_untouched(args, vars, want_status, want_requests)
      local path = dir .. "/out.csv"
      cli.write(path, "precious\n")
      local status = run(args .. " -o " .. sh_quote(path), vars)
      assert.equals(want_status, status, args)
      assert.equals("precious\n", read(path), args)
      assert.same({ "out.csv" }, cli.ls(dir), args)
      assert.equals(want_requests, env.requests(), args)
      sb:reset()
    end

    it("leaves an existing file untouched on a missing key, a 401, a bad option, a bad base URL", function()
      check_untouched("livestreams 25 -f csv", { KEYAPI_API_KEY = "" }, 1, 0)
      check_untouched("livestreams 25 -f csv", { KEYAPI_API_KEY = "sk_test_invalid" }, 1, 1)
      check_untouched("livestreams 25 -f csv --limit x", nil, 2, 0)
      check_untouched("livestreams 25 -f csv", { KEYAPI_BASE_URL = "ftp://example.com" }, 1, 0)
      check_untouched("livestreams 25 -f json", { KEYAPI_BASE_URL = "http://127.0.0.1:1" }, 1, 0)
    end)

    it("replaces the file only when the run is complete, leaving no temporary file", function()
      local path = dir .. "/out.json"
      cli.write(path, "precious\n")
      local status, out = run("livestreams 25 -f json -o " .. sh_quote(path))
      assert.equals(0, status)
      assert.equals("", out)
      assert.equals(25, #core.json_decode(read(path)))
      assert.same({ "out.json" }, cli.ls(dir))
    end)
  end)

  describe("a failure partway (item 11: 400 at page 7)", function()
    for _, case in ipairs{
      { "json", function(s) return #core.json_decode(s) end },
      { "ndjson", function(s) return #lines(s) end },
      { "csv", function(s) return select(2, s:gsub("\r\n", "")) - 1 end },
      { "table", function(s) return #lines(s) - 2 end },
    } do
      it("keeps the 60 paid records, complete and valid, in FILE.partial (" .. case[1] .. ")", function()
        fail_at_page(sb, 7)
        local path = dir .. "/out"
        cli.write(path, "precious\n")
        local status, out, err = run("livestreams 237 --format " .. case[1] .. " -o " .. sh_quote(path),
          { COLUMNS = "200" })
        assert.equals(1, status)
        assert.equals("", out)
        assert.equals("precious\n", read(path))
        local kept = read(path .. ".partial")
        assert.equals(60, case[2](kept))
        assert.matches("bad_request", err)
        assert.matches("kept 60 records in " .. (path .. ".partial"):gsub("%p", "%%%0"), err)
        assert.equals(7, env.requests())
        assert.same({ "out", "out.partial" }, cli.ls(dir))
      end)
    end

    it("closes the JSON array on standard output and summarizes what was fetched", function()
      fail_at_page(sb, 7)
      local status, out, err = run("livestreams 237 --format json")
      assert.equals(1, status)
      assert.equals(60, #core.json_decode(out))
      assert.matches("kept 60 records in standard output", err)
      sb:reset()
      fail_at_page(sb, 7)
      status, out = run("summary 237")
      assert.equals(1, status)
      assert.matches("livestreams%s+60\n", out)
      assert.matches("partial%s+shoplive: bad_request", out)
    end)
  end)

  describe("Ctrl-C (item 12)", function()
    it("wakes from a retry's backoff, sends nothing more, exits 130", function()
      sb:fault{ type = "status", status = 503, count = 5, retry_after = "30" }
      local h = start("livestreams 237 -f json -o " .. sh_quote(dir .. "/out.json"), dir)
      assert(wait_for(function()
        local st = sb:stats()
        return st.requests >= 1 and st.log[1].status ~= 0
      end))
      os.execute("kill -INT " .. h.pid)
      assert.equals(130, h.rc())
      -- without the wake-up the retry would have gone out after 30 s
      assert.equals(1, env.requests())
      assert.equals("shoplive: interrupted: no records kept; credits spent: 0\n", read(dir .. "/stderr"))
      assert.same({ "pid", "rc", "stderr", "stdout" }, cli.ls(dir))
    end)

    it("cancels the request in flight, keeps what was fetched, survives a second Ctrl-C", function()
      sb:config{ latency = 0.3 }
      local path = dir .. "/out.json"
      cli.write(path, "precious\n")
      local h = start("livestreams 237 -f json -o " .. sh_quote(path), dir)
      -- three pages written by the CLI itself (it flushes its temporary file
      -- after each page), not just answered by the server: on a loaded
      -- machine the third answer could still sit unread when Ctrl-C came
      assert(wait_for(function()
        for _, name in ipairs(cli.ls(dir)) do
          if name:find("^%.out%.json%..*%.tmp$") then
            local _, n = (read(dir .. "/" .. name) or ""):gsub('"room_id"', "")
            if n >= 30 then return true end
          end
        end
        return false
      end))
      os.execute("kill -INT " .. h.pid .. "; kill -INT " .. h.pid)
      assert.equals(130, h.rc())
      local requests = env.requests()
      local recs = core.json_decode(read(path .. ".partial"))
      assert.is_table(recs)
      assert.is_true(#recs >= 30 and #recs % 10 == 0)
      assert.is_true(requests <= #recs / 10 + 1)
      local err = read(dir .. "/stderr")
      -- the page in flight may have been answered, and so paid for, before
      -- the Ctrl-C landed (on a loaded machine it was): one credit more than
      -- the pages kept, never more than the server billed
      local spent = tonumber(err:match("credits spent: (%d+)\n$"))
      assert.is_true(spent == #recs / 10 or spent == #recs / 10 + 1, err)
      assert.is_true(spent <= env.credits(), err)
      assert.equals(string.format("shoplive: interrupted: kept %d records in %s.partial; credits spent: %d\n",
        #recs, path, spent), err)
      assert.is_nil(err:find("traceback"))
      assert.equals("precious\n", read(path))
    end)
  end)

  describe("usage errors (item 17)", function()
    it("exit 2 for huge ids and numbers, with --dry-run too, and sends nothing", function()
      for _, args in ipairs{
        "livestreams " .. string.rep("1", 33), "livestreams 1 --limit 1e400", "livestreams 1 --pages 1e20",
        "livestreams 1 --limit 99999999999999999999", "livestreams 1 --limit 99999999999999999999 --dry-run",
        "livestreams " .. string.rep("1", 33) .. " --dry-run", "summary 1 --pages 1e20 --dry-run",
        "livestreams 1 --page 0x10", "livestreams 1 --limit 2.0", "livestreams 1 --concurrency 65",
        "livestreams 1 --limit 1000001", "livestreams 1 --fields room_id,nope",
      } do
        local status, out, err = run(args)
        assert.equals(2, status, args)
        assert.equals("", out, args)
        assert.matches("^Error: [^\n]+\ntry shoplive %a+ %-%-help\n$", err)
        assert.is_nil(err:find("traceback"), args)
      end
      assert.equals(0, env.requests())
    end)
  end)
end)
