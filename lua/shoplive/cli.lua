--- The `shoplive` command (bin/shoplive is a thin wrapper around main()).
--   shoplive livestreams SELLER_ID... [--from FILE|-] [fetch options] [--format table|csv|json|ndjson]
--   shoplive summary SELLER_ID... [same fetch options] [--format text|json]
--   shoplive report SELLER_ID... [same fetch options] [--title T] [--tz Z] [--top N] (cli/report.lua)
--   shoplive completion bash|zsh|fish ; shoplive --version
-- Exit status: 0 done; 1 the API, the network or the output failed (what
-- was fetched is kept: FILE.partial, or on standard output); 2 bad usage
-- (with the usage text); 130 interrupted by Ctrl-C (output kept as for 1).
-- Parts: cli/parser.lua (options as data), cli/sink.lua (checked output,
-- temp file + rename), cli/formats.lua (writers), cli/dryrun.lua.
local check = require("shoplive.cli.args")
local clisys = require("shoplive.clisys")
local core = require("shoplive.core")
local errors = require("shoplive.errors")
local formats = require("shoplive.cli.formats")
local parser = require("shoplive.cli.parser")
local plural = require("shoplive.cli.plural")
local schema = require("shoplive.schema")
local sink_mod = require("shoplive.cli.sink")
local store_cli = require("shoplive.cli.store_opts")
local util = require("shoplive.util")

local M = {}

local usage_error = check.usage_error

--- The fetch query built from parsed arguments (seller_id set per shop).
local function query_of(args)
  local query = {
    sort_by = args.sort,
    order = args.order,
    page = check.integer(args.page, "--page", 1, schema.MAX_PAGE),
    page_size = check.integer(args.page_size, "--page-size", 1, schema.MAX_PAGE_SIZE),
    max_pages = check.integer(args.pages, "--pages", 1, schema.MAX_PAGE),
    limit = check.integer(args.limit, "--limit", 1, parser.MAX_LIMIT),
    concurrency = check.integer(args.concurrency, "--concurrency", 1, schema.MAX_CONCURRENCY),
  }
  if args.fields then
    local fields, ferr = formats.parse_fields(args.fields)
    if not fields then usage_error(ferr) end
    query.fields = fields
  end
  return query
end

-- ---- progress and the closing line ----------------------------------------

local function reporter(env, client, quiet, command)
  local tty = not quiet and env.isatty(2)
  local t0, last = core.now(), 0
  local progress = { pages = 0, records = 0 }
  local function line()
    return string.format("pages %d, records %d, credits %d, %.1fs", progress.pages, progress.records,
      client:stats().credits, core.now() - t0)
  end
  function progress.show()
    if not tty then return end
    local clock = core.now()
    if clock - last < 0.1 then return end
    last = clock
    env.stderr:write("\r\27[K", line())
    env.stderr:flush()
  end
  -- A finished run on a terminal ends with one line saying what it spent.
  function progress.finish()
    if not tty then return end
    env.stderr:write("\r\27[K", line(), "\n")
    env.stderr:flush()
  end
  -- Elsewhere (cron's 2>>log) a complete run's last line says it, for
  -- logs: one line of key=value, no colour, no CR. -q leaves it out.
  function progress.log()
    if quiet or tty then return end
    env.stderr:write(string.format("shoplive: command=%s pages=%d records=%d credits=%d seconds=%.2f\n",
      command, progress.pages, progress.records, client:stats().credits, core.now() - t0))
    env.stderr:flush()
  end
  return progress
end

-- Failures that end the whole run, not just one shop.
local GLOBAL = { auth = true, quota = true, budget = true, cancelled = true }

local function say(env, ...)
  env.stderr:write("shoplive: ", ...)
  env.stderr:write("\n")
end

-- Ctrl-C as the client's `interrupt` option: a counter (src/clisys.c)
-- that the client asks while it waits.
local function interrupted()
  return clisys.sigint_count() > 0
end

--- Fetch every shop; records go to on_record(seller_id, record). Returns
-- the list of { seller_id, error } failures, and the failure that ended the
-- run (a write failure, an interrupt, a global err) or nil.
local function fetch_all(client, ids, query, rep, sink, on_record, on_shop_done, env, verbose)
  local failures = {}
  for _, id in ipairs(ids) do
    if interrupted() then return failures, "interrupted" end
    local shop_pages, shop_records = 0, 0
    local ok, e = pcall(function()
      for page in client:pages{ seller_id = id, sort_by = query.sort_by, order = query.order,
          page = query.page, page_size = query.page_size, max_pages = query.max_pages, limit = query.limit,
          concurrency = query.concurrency } do
        rep.pages, shop_pages = rep.pages + 1, shop_pages + 1
        for _, record in ipairs(page.records) do
          on_record(id, record)
          rep.records, shop_records = rep.records + 1, shop_records + 1
        end
        if sink then sink:flush() end
        rep.show()
        if interrupted() then return end
      end
    end)
    if verbose then
      say(env, "shop ", id, ": ", plural(shop_pages, "page"), ", ", plural(shop_records, "record"))
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

-- Text for standard output whose failed write (a full disk, /dev/full)
-- fails the run: the exit status, 0 or 1 with one line.
local function print_checked(env, ...)
  local out = sink_mod.recorder(env.stdout)
  out:write(...)
  local ok, err = out.check()
  if ok then return 0 end
  say(env, util.clean(err))
  return 1
end

-- sync and queue print a few lines to standard output: a write that fails
-- there (a full disk, /dev/full) makes the run fail with one line, after
-- the command has done its work.
local function run_checked(run, args, env)
  local out = sink_mod.recorder(env.stdout)
  local status = run(args, setmetatable({ stdout = out }, { __index = env }))
  local ok, err = out.check()
  if not ok then
    say(env, util.clean(err))
    return status == 0 and 1 or status
  end
  return status
end

-- The end of a fetching run: commit or keep the output, say how it ended.
-- Returns the exit status.
local function conclude(args, env, nids, sink, rep, failures, stop, credits)
  if stop == "write" then
    sink:discard()
    say(env, util.clean(sink.failed or "write failed"), " (stopped after ", plural(rep.records, "record"), ", ",
      plural(credits, "credit"), ")")
    return 1
  end
  if #failures == 0 and stop == nil then
    local cok, cerr = sink:commit()
    if not cok then say(env, util.clean(cerr)) return 1 end
    if args.command == "report" then return print_checked(env, args.output, "\n") end
    return 0
  end
  local kept
  if not sink.wrote then
    sink:discard()
    kept = "no records kept"
  else
    local where, perr = sink:keep_partial()
    if not where then say(env, util.clean(perr)) return 1 end
    kept = "kept " .. plural(rep.records, "record") .. " in " .. where
  end
  if stop == "interrupted" then
    say(env, "interrupted: ", kept, "; credits spent: ", credits)
    return 130
  end
  if nids == 1 and not sink.wrote then return 1 end -- the err line said it all
  say(env, "incomplete (", #failures, " of ", plural(nids, "shop"), " failed): ", kept, "; credits spent: ", credits)
  return 1
end

local function distinct(ids)
  local seen, n = {}, 0
  for _, id in ipairs(ids) do
    if not seen[id] then seen[id], n = true, n + 1 end
  end
  return n
end

-- --dry-run: the requests and their cost; nothing sent, no key needed.
local function dry_run(args, env, query, ids)
  -- the base URL shoplive.new would use (env, default, validation)
  local ok, options = pcall(require("shoplive.options").check, { api_key = "dry-run" }, env.getenv)
  if not ok then
    env.stderr:write(util.clean((tostring(options):gsub("^[^:]*:%d+: ", ""))), "\n")
    return 1
  end
  local out, serr = sink_mod.open(args.output, env.stdout)
  if not out then say(env, util.clean(serr)) return 1 end
  local wok = pcall(require("shoplive.cli.dryrun").run, query, ids, options.base_url, out)
  local cok, cerr = out:commit()
  if not wok or not cok then say(env, util.clean(cerr or out.failed)) return 1 end
  return 0
end

-- Where each command's records go: the record writer (livestreams), the
-- on_record(seller_id, record) and on_shop_done(seller_id, err) callbacks,
-- and the list the report collects.
local function outputs(args, env, sink, query, ids)
  local report_records = {}
  if args.command == "livestreams" then
    local width = tonumber(env.getenv("COLUMNS") or "") or env.columns(1) or 120
    local writer = formats.writer(args.format, sink, { fields = query.fields, no_header = args.no_header,
      raw = args.csv_raw, width = width, shops = distinct(ids) })
    return writer, function(_, record) writer:write(record) end, nil, report_records
  elseif args.command == "report" then
    return nil, function(_, record) report_records[#report_records + 1] = record end, nil, report_records
  end
  local records, blocks = {}, 0
  local function on_shop_done(id, e)
    local recs = records
    records = {}
    -- a shop that failed before its first record: the error is on
    -- stderr, and in JSON a line of its own
    if e and #recs == 0 and args.format == "text" then return end
    if args.format == "text" and blocks > 0 then sink:write("\n") end
    blocks = blocks + 1
    formats.write_summary(sink, args.format, require("shoplive").summarize(recs),
      { seller_id = id, error = errors.is_err(e) and e or nil })
  end
  return nil, function(_, record) records[#records + 1] = record end, on_shop_done, report_records
end

-- Write a report built without fetching (report --offline). Returns the
-- exit status.
local function write_report(args, env, doc)
  local sink, serr = sink_mod.open(args.output, env.stdout)
  if not sink then say(env, util.clean(serr)) return 1 end
  if not pcall(sink.write, sink, doc) then
    sink:discard()
    say(env, util.clean(sink.failed or "write failed"))
    return 1
  end
  local cok, cerr = sink:commit()
  if not cok then say(env, util.clean(cerr)) return 1 end
  return print_checked(env, args.output, "\n")
end

local function run_fetch(args, env)
  if args.command == "sync" then return run_checked(store_cli.run, args, env) end
  if args.command == "queue" then return run_checked(require("shoplive.cli.queue_cmd").run, args, env) end
  local ids = check.sellers(args.seller_id, args.from, env, "give at least one SELLER_ID (or --from FILE)")
  local query = query_of(args)
  if query.fields and args.command ~= "livestreams" then usage_error("--fields is for livestreams") end
  if args.dry_run then return dry_run(args, env, query, ids) end
  local report_opts
  if args.command == "report" then
    local rerr
    report_opts, rerr = require("shoplive.cli.report").check(args)
    if not report_opts then usage_error(rerr) end
    args.output = args.output or require("shoplive.cli.report").DEFAULT_OUTPUT
  end
  if report_opts and args.offline then
    local doc = require("shoplive.cli.report").offline(args, env, ids, query, report_opts)
    if doc == false then return 1 end
    if doc then return write_report(args, env, doc) end
  end
  local key = env.getenv("KEYAPI_API_KEY")
  if not args.offline and (not key or key == "") then
    say(env, "no API key: set KEYAPI_API_KEY (export KEYAPI_API_KEY=sk_live_...)")
    return 1
  end
  local shoplive = require("shoplive")
  local base = env.getenv("KEYAPI_BASE_URL")
  local opts = { api_key = key, base_url = base ~= "" and base or nil, interrupt = interrupted }
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
  local sink, serr = sink_mod.open(args.output, env.stdout)
  if not sink then
    client:close()
    say(env, util.clean(serr))
    return 1
  end
  local rep = reporter(env, client, args.quiet, args.command)
  local writer, on_record, on_shop_done, report_records = outputs(args, env, sink, query, ids)
  local fok, failures, stop = pcall(fetch_all, client, ids, query, rep, sink, on_record, on_shop_done, env,
    args.verbose)
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
  if stop ~= "write" and writer and (rep.records > 0 or not failed) then
    if not pcall(writer.close) then stop = "write" end
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
  local status = conclude(args, env, #ids, sink, rep, failures, stop, credits)
  -- a failed run's lines say what it spent already, and a failure is one
  -- line (tostring(err)) where one shop failed
  if status == 0 then rep.log() end
  return status
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
  local argparser, commands = parser.build()
  local ok, args = argparser:pparse(parser.join_values(argv))
  -- The error first, then where the usage is: the command's, when the
  -- user typed one (8 lines of usage would push the error out of sight).
  local function usage(msg)
    local cmd = commands[argv[1]] and ("shoplive " .. argv[1]) or "shoplive"
    env.stderr:write("Error: ", util.clean(msg), "\ntry ", cmd, " --help\n")
    return 2
  end
  if not ok then return usage(args) end
  if args.version then return print_checked(env, version_text(), "\n") end
  if not args.command then return usage("a command is required") end
  if args.command == "completion" then
    return print_checked(env, parser.completion(args.shell))
  end
  -- Ctrl-C only sets a flag while we run (the interpreter's own handler
  -- would raise inside the paging coroutine and lose the output).
  clisys.sigint_catch()
  local rok, status = pcall(run_fetch, args, env)
  clisys.sigint_release()
  if rok then return status end
  if check.is_usage(status) then return usage(status.msg) end
  error(status, 0)
end

--- The man page text (make man).
function M.man()
  return parser.man(require("shoplive").VERSION)
end

return M
