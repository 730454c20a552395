--- The `shoplive` command (bin/shoplive is a thin wrapper around main()).
--   shoplive livestreams SELLER_ID... [--from FILE|-] [fetch options] [--format table|csv|json|ndjson]
--   shoplive summary SELLER_ID... [same fetch options] [--format text|json]
--   shoplive report SELLER_ID... [same fetch options] [--title T] [--tz Z] [--top N] (cli/report.lua)
--   shoplive completion bash|zsh ; shoplive --version
-- Exit status: 0 done; 1 the API, the network or the output failed (what
-- was fetched is kept: FILE.partial, or on standard output); 2 bad usage
-- (with the usage text); 130 interrupted by Ctrl-C (output kept as for 1).
-- Parts: cli/parser.lua (options as data), cli/sink.lua (checked output,
-- temp file + rename), cli/formats.lua (writers), cli/dryrun.lua.
local core = require("shoplive.core")
local errors = require("shoplive.errors")
local formats = require("shoplive.cli.formats")
local parser = require("shoplive.cli.parser")
local query = require("shoplive.query")
local schema = require("shoplive.schema")
local sink_mod = require("shoplive.cli.sink")
local store_cli = require("shoplive.cli.sync")
local util = require("shoplive.util")

local M = {}

local Usage = {}

local function usage_error(msg)
  error(setmetatable({ msg = msg }, Usage), 0)
end

-- An integer option: digits only (no 1e400, no 0x10, no 2.0), from min to
-- max; checked on the text so that no float rounding can let a huge value
-- through.
local function int_arg(args, key, name, min, max)
  local v = args[key]
  if v == nil then return nil end
  local digits = v:match("^%s*0*(%d-)%s*$")
  local n = digits and #digits <= 15 and tonumber(digits ~= "" and digits or "0")
  if not n or n < min or n > max then
    usage_error("option '" .. name .. "' must be an integer from " .. min .. " to " .. max .. ", got '"
      .. util.clean(v) .. "'")
  end
  return math.tointeger and math.tointeger(n) or n
end

local function check_id(id, where)
  local ok = pcall(query.check, { seller_id = id }, "shoplive")
  if type(id) ~= "string" or not id:find("^%d+$") or not ok then
    local shown = #id > 40 and (id:sub(1, 40) .. "... (" .. #id .. " characters)") or id
    usage_error("SELLER_ID must be 1 to 32 digits, got '" .. util.clean(shown) .. "'" .. (where or ""))
  end
  return id
end

-- Seller ids from the arguments, then from --from (one per line, '#'
-- comments, blank lines skipped).
local function seller_ids(args, env)
  local ids = {}
  for _, id in ipairs(args.seller_id or {}) do ids[#ids + 1] = check_id(id) end
  if args.from then
    local f, ferr
    if args.from == "-" then f = env.stdin else f, ferr = io.open(args.from, "rb") end
    if not f then usage_error("--from: cannot read " .. util.clean(tostring(ferr))) end
    local n = 0
    for line in f:lines() do
      n = n + 1
      line = line:gsub("#.*$", ""):match("^%s*(.-)%s*$")
      if line ~= "" then ids[#ids + 1] = check_id(line, " (" .. args.from .. " line " .. n .. ")") end
    end
    if f ~= env.stdin then f:close() end
  end
  if #ids == 0 then usage_error("give at least one SELLER_ID (or --from FILE)") end
  return ids
end

--- The fetch query built from parsed arguments (seller_id set per shop).
local function query_of(args)
  local q = {
    sort_by = args.sort,
    order = args.order,
    page = int_arg(args, "page", "--page", 1, schema.MAX_PAGE),
    page_size = int_arg(args, "page_size", "--page-size", 1, schema.MAX_PAGE_SIZE),
    max_pages = int_arg(args, "pages", "--pages", 1, schema.MAX_PAGE),
    limit = int_arg(args, "limit", "--limit", 1, parser.MAX_LIMIT),
    concurrency = int_arg(args, "concurrency", "--concurrency", 1, schema.MAX_CONCURRENCY),
  }
  if args.fields then
    local fields, ferr = formats.parse_fields(args.fields)
    if not fields then usage_error(ferr) end
    q.fields = fields
  end
  return q
end

-- ---- progress and the closing line ----------------------------------------

local function reporter(env, client, quiet)
  local tty = not quiet and env.isatty(2)
  local t0, last = core.now(), 0
  local r = { pages = 0, records = 0 }
  local function line()
    return string.format("pages %d, records %d, credits %d, %.1fs", r.pages, r.records, client:stats().credits,
      core.now() - t0)
  end
  function r.show()
    if not tty then return end
    local t = core.now()
    if t - last < 0.1 then return end
    last = t
    env.stderr:write("\r\27[K", line())
    env.stderr:flush()
  end
  -- A finished run on a terminal ends with one line saying what it spent.
  function r.finish()
    if not tty then return end
    env.stderr:write("\r\27[K", line(), "\n")
    env.stderr:flush()
  end
  return r
end

-- Failures that end the whole run, not just one shop.
local GLOBAL = { auth = true, quota = true, budget = true, cancelled = true }

local function say(env, ...)
  env.stderr:write("shoplive: ", ...)
  env.stderr:write("\n")
end

local function interrupted()
  return core.sigint_count() > 0
end

--- Fetch every shop; records go to on_record(seller_id, record). Returns
-- the list of { seller_id, error } failures, and the failure that ended the
-- run (a write failure, an interrupt, a global err) or nil.
local function fetch_all(client, ids, q, rep, sink, on_record, on_shop_done, env, verbose)
  local failures = {}
  for _, id in ipairs(ids) do
    if interrupted() then return failures, "interrupted" end
    local shop_pages, shop_records = 0, 0
    local ok, e = pcall(function()
      for page in client:pages{ seller_id = id, sort_by = q.sort_by, order = q.order, page = q.page,
          page_size = q.page_size, max_pages = q.max_pages, limit = q.limit, concurrency = q.concurrency } do
        rep.pages, shop_pages = rep.pages + 1, shop_pages + 1
        for _, r in ipairs(page.records) do
          on_record(id, r)
          rep.records, shop_records = rep.records + 1, shop_records + 1
        end
        if sink then sink:flush() end
        rep.show()
        if interrupted() then return end
      end
    end)
    if verbose then
      say(env, "shop ", id, ": ", shop_pages, " pages, ", shop_records, " records")
    end
    if not ok then
      if e == sink_mod.WRITE_FAILED then return failures, "write" end
      if interrupted() then
        failures[#failures + 1] = { seller_id = id, error = e }
        if on_shop_done then on_shop_done(id, e) end
        return failures, "interrupted"
      end
      if not errors.is_err(e) then error(e, 0) end -- a bug: let it show
      failures[#failures + 1] = { seller_id = id, error = e }
      say(env, #ids > 1 and ("shop " .. id .. ": ") or "", util.clean(tostring(e):gsub("^shoplive: ", "")))
      if on_shop_done then on_shop_done(id, e) end
      if GLOBAL[e.kind] then return failures, "global" end
    else
      if interrupted() then
        if on_shop_done then on_shop_done(id, "interrupted") end
        return failures, "interrupted"
      end
      if on_shop_done then on_shop_done(id) end
    end
  end
  return failures, nil
end

local function run_fetch(args, env)
  if args.command == "sync" then return store_cli.run(args, env) end
  if args.command == "queue" then return require("shoplive.cli.queue").run(args, env) end
  local ids = seller_ids(args, env)
  local q = query_of(args)
  if q.fields and args.command ~= "livestreams" then usage_error("--fields is for livestreams") end
  if args.dry_run then
    -- the base URL shoplive.new would use (env, default, validation); no key
    -- is needed to print requests
    local ok, o = pcall(require("shoplive.options").check, { api_key = "dry-run" }, env.getenv)
    if not ok then
      env.stderr:write(util.clean((tostring(o):gsub("^[^:]*:%d+: ", ""))), "\n")
      return 1
    end
    local s, serr = sink_mod.open(args.output, env.stdout)
    if not s then say(env, util.clean(serr)) return 1 end
    local wok = pcall(require("shoplive.cli.dryrun").run, q, ids, o.base_url, s)
    local cok, cerr = s:commit()
    if not wok or not cok then say(env, util.clean(cerr or s.failed)) return 1 end
    return 0
  end
  local report_opts
  if args.command == "report" then
    local rerr
    report_opts, rerr = require("shoplive.cli.report").check(args)
    if not report_opts then usage_error(rerr) end
    args.output = args.output or require("shoplive.cli.report").DEFAULT_OUTPUT
  end
  local key = env.getenv("KEYAPI_API_KEY")
  if not args.offline and (not key or key == "") then
    say(env, "no API key: set KEYAPI_API_KEY (export KEYAPI_API_KEY=sk_live_...)")
    return 1
  end
  local shoplive = require("shoplive")
  local base = env.getenv("KEYAPI_BASE_URL")
  local opts = { api_key = key, base_url = base ~= "" and base or nil }
  if args.debug then
    opts.debug = function(line) env.stderr:write("debug: ", util.clean(line), "\n") end
  end
  -- --db: through the store's cache; --offline: from the store alone
  local ok, client = true, store_cli.client(args, env, opts)
  if client == false then return 1 end
  if not client then ok, client = pcall(shoplive.new, opts) end
  if not ok then
    env.stderr:write(util.clean((tostring(client):gsub("^[^:]*:%d+: ", ""))), "\n")
    return 1
  end
  -- Ctrl-C: a flag the client's wait loop checks (src/clisys.c)
  client._interrupted = interrupted
  client._sleep = core.sigint_sleep
  local sink, serr = sink_mod.open(args.output, env.stdout)
  if not sink then
    client:close()
    say(env, util.clean(serr))
    return 1
  end
  local rep = reporter(env, client, args.quiet)
  local w, on_record, on_shop_done
  local report_records = {}
  if args.command == "livestreams" then
    local width = tonumber(env.getenv("COLUMNS") or "") or env.columns(1) or 120
    w = formats.writer(args.format, sink, { fields = q.fields, no_header = args.no_header, raw = args.csv_raw,
      width = width })
    on_record = function(_, r) w:write(r) end
  elseif args.command == "report" then
    on_record = function(_, r) report_records[#report_records + 1] = r end
  else
    local records, blocks = {}, 0
    on_record = function(_, r) records[#records + 1] = r end
    on_shop_done = function(id, e)
      local recs = records
      records = {}
      -- a shop that failed before its first record: the error is on
      -- stderr, and in JSON a line of its own
      if e and #recs == 0 and args.format == "text" then return end
      if args.format == "text" and blocks > 0 then sink:write("\n") end
      blocks = blocks + 1
      formats.write_summary(sink, args.format, shoplive.summarize(recs),
        { seller_id = id, error = errors.is_err(e) and e or nil })
    end
  end
  local fok, failures, stop = pcall(fetch_all, client, ids, q, rep, sink, on_record, on_shop_done, env, args.verbose)
  if not fok then
    if failures ~= sink_mod.WRITE_FAILED then
      client:close()
      sink:discard()
      error(failures, 0)
    end
    failures, stop = {}, "write"
  end
  local failed = #failures > 0 or stop ~= nil
  -- A failed run that fetched nothing writes nothing (an empty table or
  -- "[]" would look like an empty shop).
  if stop ~= "write" and w and (rep.records > 0 or not failed) then
    if not pcall(w.close) then stop = "write" end
  end
  local credits = client:stats().credits
  -- the report of what was fetched (kept as FILE.partial when a shop failed)
  if report_opts and stop ~= "write" and (rep.records > 0 or not failed) then
    local doc = require("shoplive.cli.report").document(report_records, ids, report_opts, credits, rep.pages,
      client:stats().requests)
    if not pcall(sink.write, sink, doc) then stop = "write" end
  end
  client:close()
  rep.finish()
  if stop == "write" then
    sink:discard()
    say(env, util.clean(sink.failed or "write failed"), string.format(" (stopped after %d record%s, %d credit%s)",
      rep.records, rep.records == 1 and "" or "s", credits, credits == 1 and "" or "s"))
    return 1
  end
  if #failures == 0 and stop == nil then
    local cok, cerr = sink:commit()
    if not cok then say(env, util.clean(cerr)) return 1 end
    if report_opts then env.stdout:write(args.output, "\n") end
    return 0
  end
  local kept
  if not sink.wrote then
    sink:discard()
    kept = "no records kept"
  else
    local where, perr = sink:keep_partial()
    if not where then say(env, util.clean(perr)) return 1 end
    kept = string.format("kept %d record%s in %s", rep.records, rep.records == 1 and "" or "s", where)
  end
  if stop == "interrupted" then
    say(env, "interrupted: ", kept, "; credits spent: ", credits)
    return 130
  end
  if #ids == 1 and not sink.wrote then return 1 end -- the err line said it all
  say(env, "incomplete (", #failures, " of ", #ids, " shop", #ids == 1 and "" or "s", " failed): ", kept,
    "; credits spent: ", credits)
  return 1
end

local function version_text()
  local shoplive = require("shoplive")
  return string.format("shoplive %s (libcurl %s, %s)", shoplive.VERSION, core.curl_version,
    rawget(_G, "jit") and rawget(_G, "jit").version or _VERSION)
end

--- Run the command with argv (array of strings); env may replace stdout,
-- stderr, stdin, getenv, isatty and columns for tests. Returns the exit
-- status.
function M.main(argv, env)
  env = env or {}
  env.stdout = env.stdout or io.stdout
  env.stderr = env.stderr or io.stderr
  env.stdin = env.stdin or io.stdin
  env.getenv = env.getenv or os.getenv
  env.isatty = env.isatty or core.isatty
  env.columns = env.columns or core.term_columns
  local p, commands = parser.build()
  local ok, args = p:pparse(argv)
  -- The usage text of the command the user typed, when there is one.
  local usage_of = commands[argv[1]] or p
  if not ok then
    env.stderr:write(usage_of:get_usage(), "\n\nError: ", util.clean(args), "\n")
    return 2
  end
  if args.version then
    env.stdout:write(version_text(), "\n")
    return 0
  end
  if not args.command then
    env.stderr:write(p:get_usage(), "\n\nError: a command is required\n")
    return 2
  end
  if args.command == "completion" then
    env.stdout:write(args.shell == "zsh" and parser.zsh() or parser.bash())
    return 0
  end
  -- Ctrl-C only sets a flag while we run (the interpreter's own handler
  -- would raise inside the paging coroutine and lose the output).
  core.sigint_catch()
  local rok, status = pcall(run_fetch, args, env)
  core.sigint_release()
  if rok then return status end
  if getmetatable(status) == Usage or getmetatable(status) == store_cli.Usage then
    env.stderr:write(usage_of:get_usage(), "\n\nError: ", status.msg, "\n")
    return 2
  end
  error(status, 0)
end

--- The man page text (make man).
function M.man()
  return parser.man(require("shoplive").VERSION)
end

return M
