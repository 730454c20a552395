--- The `shoplive` command (bin/shoplive is a thin wrapper around main()).
--   shoplive livestreams SELLER_ID [--sort ..] [--order ..] [--page N] [--pages N]
--       [--limit N] [--page-size N] [--format table|csv|json|ndjson] [--output FILE] [--dry-run]
--   shoplive summary SELLER_ID [same fetch options] [--format text|json]
-- Exit status: 0 done, 1 the API or the network failed (one line from
-- tostring(err)), 2 bad usage (with the usage text).
local argparse = require("argparse")
local core = require("shoplive.core")
local util = require("shoplive.util")

local M = {}

local function build_parser()
  local p = argparse("shoplive", "TikTok Shop livestream analytics from keyapi (1 credit per page).")
    :epilog("Reads KEYAPI_API_KEY and KEYAPI_BASE_URL from the environment.")
  p:command_target("command")
  local function fetch_options(cmd)
    cmd:argument("seller_id", "Shop id (digits).")
    cmd:option("--sort", "Sort by views, sales or gmv."):choices{ "views", "sales", "gmv" }
    cmd:option("--order", "Sort order."):choices{ "asc", "desc" }
    cmd:option("--page", "First page (1..100000).", "1")
    cmd:option("--pages", "Fetch at most N pages.")
    cmd:option("--limit", "Stop after N records.")
    cmd:option("--page-size", "Records per page (1..10).", "10")
    cmd:option("--concurrency", "Pages in flight at once (1..64).", "1")
    cmd:option("--output -o", "Write to FILE instead of standard output.")
    cmd:flag("--dry-run", "Print the requests that would be sent and their credit cost; send nothing.")
  end
  local ls = p:command("livestreams", "List a shop's livestreams.")
  fetch_options(ls)
  ls:option("--format -f", "Output format.", "table"):choices{ "table", "csv", "json", "ndjson" }
  local sm = p:command("summary", "Summary figures for a shop's livestreams.")
  fetch_options(sm)
  sm:option("--format -f", "Output format.", "text"):choices{ "text", "json" }
  local rp = require("shoplive.cli.report").add(p)
  return p, { livestreams = ls, summary = sm, report = rp }
end

local Usage = {}

local function usage_error(msg)
  error(setmetatable({ msg = msg }, Usage), 0)
end

local function int_arg(args, key, name, min, max)
  local v = args[key]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < min or (max and n > max) then
    usage_error("option '" .. name .. "' must be an integer from " .. min .. (max and (" to " .. max) or " up")
      .. ", got '" .. v .. "'")
  end
  return math.tointeger and math.tointeger(n) or n
end

--- The fetch query built from parsed arguments.
local function query_of(args)
  if not args.seller_id:find("^%d+$") then usage_error("SELLER_ID must be digits, got '" .. args.seller_id .. "'") end
  return {
    seller_id = args.seller_id,
    sort_by = args.sort,
    order = args.order,
    page = int_arg(args, "page", "--page", 1, 100000),
    page_size = int_arg(args, "page_size", "--page-size", 1, 10),
    max_pages = int_arg(args, "pages", "--pages", 1),
    limit = int_arg(args, "limit", "--limit", 1),
    concurrency = int_arg(args, "concurrency", "--concurrency", 1, 64),
  }
end

-- ---- dry run -----------------------------------------------------------

local function dry_run(q, env, out)
  local query = require("shoplive.query")
  -- the base URL shoplive.new would use (env, default, validation); no key is
  -- needed to print requests
  local ok, o = pcall(require("shoplive.options").check, { api_key = "dry-run" }, env.getenv)
  if not ok then
    env.stderr:write((tostring(o):gsub("^[^:]*:%d+: ", "")), "\n")
    return 1
  end
  local base = o.base_url
  local last = query.MAX_PAGE
  if q.max_pages then last = math.min(last, q.page + q.max_pages - 1) end
  if q.limit then last = math.min(last, q.page + math.ceil(q.limit / q.page_size) - 1) end
  local n = last - q.page + 1
  local p = query.check({ seller_id = q.seller_id, sort_by = q.sort_by, order = q.order, page = q.page,
    page_size = q.page_size }, "dry-run")
  local shown = math.min(n, 20)
  for i = 0, shown - 1 do
    p.page = q.page + i
    out:write("GET ", query.url(base, p), "\n")
  end
  if n > shown then
    out:write("... ", n - shown, " more, through page ", last, "\n")
  end
  local bounded = q.max_pages or q.limit
  out:write(string.format("%s %d request%s, %s %d credit%s (paging stops early at the first page shorter than %d)\n",
    bounded and "at most" or "up to", n, n == 1 and "" or "s", bounded and "at most" or "up to", n, n == 1 and "" or "s",
    q.page_size))
  return 0
end

-- ---- progress line -----------------------------------------------------

local function progress(env, client)
  if not env.isatty(2) then return function() end end
  local t0, last = core.now(), 0
  return function(pages, records, final)
    local t = core.now()
    if not final and t - last < 0.1 then return end
    last = t
    local s = client:stats()
    env.stderr:write(string.format("\r\27[Kpages %d, records %d, credits %d, %.1fs", pages, records, s.credits, t - t0))
    if final then env.stderr:write("\r\27[K") end
    env.stderr:flush()
  end
end

-- ---- output formats ----------------------------------------------------

local function fmt_time(t)
  if type(t) ~= "number" then return "" end
  return os.date("!%Y-%m-%d %H:%M", t)
end

local function fmt_duration(d)
  if type(d) ~= "number" then return "" end
  return string.format("%d:%02d", math.floor(d / 3600), math.floor(d % 3600 / 60))
end

local function fmt_num(v)
  if v == nil then return "" end
  -- an integer (5.3+), or an integral number within 2^53 on 5.1/5.2/LuaJIT,
  -- whose tostring() would give 15+ digit counters in exponent form
  if util.is_int_subtype(v) then return string.format("%d", v) end
  return tostring(v)
end

local function table_writer(out, env)
  local textable = require("shoplive.textable")
  local rows = {}
  local cols = {
    -- narrow terminals lose region, then hours, then the start time
    { header = "room_id" }, { header = "started (UTC)", drop = 1 }, { header = "hours", right = true, drop = 2 },
    { header = "views", right = true }, { header = "sales", right = true }, { header = "gmv", right = true },
    { header = "region", drop = 3 }, { header = "title", flex = true },
  }
  return {
    write = function(_, r)
      rows[#rows + 1] = {
        tostring(r.room_id or ""), fmt_time(r.create_time), fmt_duration(r.duration),
        fmt_num(r.total_views_cnt), fmt_num(r.total_sale_cnt), fmt_num(r.total_sale_gmv_amt),
        tostring(r.region or ""), (tostring(r.title or ""):gsub("[%c]+", " ")),
      }
    end,
    close = function()
      local width = tonumber(env.getenv("COLUMNS") or "") or env.columns(1) or 120
      out:write(textable.render(cols, rows, width))
    end,
  }
end

local function json_writer(out, ndjson)
  local export = require("shoplive.export")
  local n = 0
  return {
    write = function(_, r)
      if ndjson then
        out:write(export.encode_record(r), "\n")
      else
        out:write(n == 0 and "[\n" or ",\n", export.encode_record(r))
      end
      n = n + 1
    end,
    close = function()
      if not ndjson then out:write(n == 0 and "[]\n" or "\n]\n") end
    end,
  }
end

local function writer_for(format, out, env)
  if format == "csv" then return require("shoplive.export").csv_writer(out) end
  if format == "json" then return json_writer(out, false) end
  if format == "ndjson" then return json_writer(out, true) end
  return table_writer(out, env)
end

-- The third value marks counts and sums (integers when every term is one).
local SUMMARY_LINES = {
  { "count", "livestreams", true }, { "total_views", "total views", true }, { "total_sales", "total sales", true },
  { "total_gmv", "total GMV", true }, { "mean_views", "mean views" }, { "mean_sales", "mean sales" },
  { "mean_gmv", "mean GMV" }, { "hours_live", "hours live" }, { "gmv_per_hour", "GMV per hour live" },
  { "sales_per_1000_views", "sales per 1000 views" },
}

local function fmt_figure(v, counted)
  if v == nil then return "-" end
  -- 5.3+: integers by subtype. 5.1/5.2/LuaJIT have none: an integral count or
  -- sum is printed as the integer it is there (a mean stays "%.2f")
  if util.is_int_subtype(v) and (math.type or counted) then return string.format("%d", v) end
  if type(v) == "number" then return string.format("%.2f", v) end
  return tostring(v)
end

local function write_summary(s, format, out)
  if format == "json" then
    local export = require("shoplive.export")
    local copy = {}
    for k, v in pairs(s) do copy[k] = v end
    copy.best = s.best and s.best.room_id or nil
    out:write(export.encode_record(copy), "\n")
    return
  end
  local lines = {}
  for _, l in ipairs(SUMMARY_LINES) do lines[#lines + 1] = { l[2], fmt_figure(s[l[1]], l[3]) } end
  lines[#lines + 1] = { "first start (UTC)", s.first_start and fmt_time(s.first_start) or "-" }
  lines[#lines + 1] = { "last start (UTC)", s.last_start and fmt_time(s.last_start) or "-" }
  if s.best then
    lines[#lines + 1] = { "best by GMV", string.format("%s (GMV %s) %s", s.best.room_id,
      fmt_figure(s.best.total_sale_gmv_amt, true), tostring(s.best.title or ""):gsub("%c+", " ")) }
  end
  local w = 0
  for _, l in ipairs(lines) do w = math.max(w, #l[1]) end
  for _, l in ipairs(lines) do out:write(l[1], string.rep(" ", w - #l[1]), "  ", l[2], "\n") end
end

-- ---- main ----------------------------------------------------------------

local function run(args, env)
  if args.command == "report" then
    local status, msg = require("shoplive.cli.report").run(args, env)
    if status == nil then usage_error(msg) end
    return status
  end
  local q = query_of(args)
  local out = env.stdout
  local file
  if args.output then
    local f, ferr = io.open(args.output, "wb")
    if not f then
      env.stderr:write("shoplive: cannot write ", tostring(ferr), "\n")
      return 1
    end
    out, file = f, f
  end
  if args.dry_run then
    local status = dry_run(q, env, out)
    if file then file:close() end
    return status
  end
  local key = env.getenv("KEYAPI_API_KEY")
  if not key or key == "" then
    env.stderr:write("shoplive: no API key: set KEYAPI_API_KEY (export KEYAPI_API_KEY=sk_live_...)\n")
    return 1
  end
  local shoplive = require("shoplive")
  local base = env.getenv("KEYAPI_BASE_URL")
  local ok, client = pcall(shoplive.new, { api_key = key, base_url = base ~= "" and base or nil })
  if not ok then
    env.stderr:write(tostring(client):gsub("^[^:]*:%d+: ", ""), "\n")
    return 1
  end
  local show = progress(env, client)
  local w, records, pages = nil, {}, 0
  if args.command == "livestreams" then w = writer_for(args.format, out, env) end
  local n = 0
  local fetched, err = pcall(function()
    for page in client:pages(q) do
      pages = pages + 1
      for _, r in ipairs(page.records) do
        n = n + 1
        if w then w:write(r) else records[#records + 1] = r end
        show(pages, n)
      end
      show(pages, n)
    end
  end)
  show(pages, n, true)
  if fetched then
    if w then w:close() else write_summary(shoplive.summarize(records), args.format, out) end
  end
  if file then file:close() end
  client:close()
  if not fetched then
    if type(err) == "table" then
      env.stderr:write(tostring(err), "\n")
      return 1
    end
    error(err, 0)
  end
  return 0
end

--- Run the command with argv (array of strings); env may replace stdout,
-- stderr, getenv and isatty for tests. Returns the exit status.
function M.main(argv, env)
  env = env or {}
  env.stdout = env.stdout or io.stdout
  env.stderr = env.stderr or io.stderr
  env.getenv = env.getenv or os.getenv
  env.isatty = env.isatty or core.isatty
  env.columns = env.columns or core.term_columns
  local parser, commands = build_parser()
  local ok, args = parser:pparse(argv)
  -- The usage text of the command the user typed, when there is one.
  local usage_of = commands[argv[1]] or parser
  if not ok then
    env.stderr:write(usage_of:get_usage(), "\n\nError: ", args, "\n")
    return 2
  end
  local rok, status = pcall(run, args, env)
  if rok then return status end
  if getmetatable(status) == Usage then
    env.stderr:write(usage_of:get_usage(), "\n\nError: ", status.msg, "\n")
    return 2
  end
  error(status, 0)
end

return M
