--- `shoplive report SELLER_ID... [fetch options] [--title T] [--tz Z] [--top N]
-- [--period DAYS] [--rates FILE] [--rank R]`: the HTML report (shoplive.report) of every shop's livestreams. cli.lua
-- fetches (the options every fetching command shares: --from, --sort,
-- --limit, --output, progress, Ctrl-C, partial output) and calls the
-- functions here: OPTIONS for cli/parser.lua, check() before anything is
-- sent, document() once the records are in.
local check = require("shoplive.cli.args")
local report_rates = require("shoplive.report.rates")

local M = {}

--- The command's own options (cli/report_opts.lua, which cli/parser.lua
-- reads without loading this module).
M.OPTIONS = require("shoplive.cli.report_opts")

--- Where the report goes without --output.
M.DEFAULT_OUTPUT = "report.html"

--- The report's options from the parsed arguments: a table, or nil and a
-- usage message naming the option.
function M.check(args)
  local ok, e = pcall(function()
    local days = tonumber(tostring(args.period or "28"):match("^%s*(%d%d?%d?%d?)%s*$"))
    if not days or days < 1 or days > 3660 then
      check.usage_error("option '--period' must be a whole number of days from 1 to 3660, got '"
        .. tostring(args.period) .. "'")
    end
    local rates
    if args.rates then
      local t, err = report_rates.read(args.rates)
      if not t then check.usage_error("option '--rates': " .. err) end
      local valid, why = report_rates.check(t)
      if not valid then check.usage_error("option '--rates': " .. args.rates .. " " .. why) end
      rates = t
    end
    return { title = args.title, tz = check.tz(args.tz, "--tz"),
      top = check.integer(args.top or "10", "--top", 1, 1000), rank = args.rank,
      period = math.tointeger and math.tointeger(days) or days, rates = rates,
      store = args.offline and "offline" or args.db and "db" or nil }
  end)
  if ok then return e end
  if not check.is_usage(e) then error(e, 0) end
  return nil, e.msg
end

--- The HTML document: records of the shops `ids` (every one gets a card,
-- an empty shop too), with what fetching them cost: credits, pages with
-- records and requests sent (more than pages when --concurrency asked
-- ahead past a shop's last page). A shop listed twice
-- was fetched twice: each livestream (seller_id, room_id) counts once.
function M.document(records, ids, opts, credits, pages, requests)
  local seen, unique = {}, {}
  for _, record in ipairs(records) do
    local key = record.room_id ~= nil and (tostring(record.seller_id) .. "\0" .. tostring(record.room_id)) or nil
    if key == nil or not seen[key] then
      if key then seen[key] = true end
      unique[#unique + 1] = record
    end
  end
  local report_opts = {}
  for k, v in pairs(opts) do report_opts[k] = v end
  report_opts.shops, report_opts.credits, report_opts.pages, report_opts.requests = ids, credits, pages, requests
  return require("shoplive").report(unique, report_opts)
end

--- `report --offline`: the report built by the store's database
-- (shoplive.report(store, opts)), which never holds every record. Returns
-- the document; nil when the records must be read one by one instead (the
-- query picks some: --limit, --pages, --page; or a shop is not stored, which
-- that way names); false after saying why the store cannot be opened.
function M.offline(args, env, ids, query, opts)
  if query.limit or query.max_pages or (query.page or 1) > 1 then return nil end
  local store = require("shoplive.cli.store_opts").open_store(args.db, env, true)
  if not store then return false end
  local sellers, seen = {}, {}
  for _, id in ipairs(ids) do
    if not seen[id] then
      seen[id] = true
      sellers[#sellers + 1] = id
      if store:has_shop(id) ~= true then store:close() return nil end
    end
  end
  local report_opts = { sellers = sellers, credits = 0, pages = #ids, requests = 0 }
  for k, v in pairs(opts) do report_opts[k] = v end
  local doc, err = require("shoplive").report(store, report_opts)
  store:close()
  if not doc then
    env.stderr:write("shoplive: ", tostring(err), "\n")
    return false
  end
  return doc
end

return M
