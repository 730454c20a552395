--- `shoplive report SELLER_ID... [fetch options] [--title T] [--tz Z] [--top N]`:
-- the HTML report (shoplive.report) of every shop's livestreams. cli.lua
-- fetches (the options every fetching command shares: --from, --sort,
-- --limit, --output, progress, Ctrl-C, partial output) and calls the
-- functions here: OPTIONS for cli/parser.lua, check() before anything is
-- sent, document() once the records are in.
local check = require("shoplive.cli.args")

local M = {}

--- The command's own options, as cli/parser.lua describes options.
M.OPTIONS = {
  { "--title", "The report's title (default: the shops' ids).", value = "TEXT" },
  { "--tz", "Time zone of the report's dates and hours: UTC or an offset like +07:00.", "UTC", value = "ZONE" },
  { "--top", "Livestreams in the top table, per region (1..1000).", "10", value = "N" },
}

--- Where the report goes without --output.
M.DEFAULT_OUTPUT = "report.html"

--- The report's options from the parsed arguments: a table, or nil and a
-- usage message naming the option.
function M.check(args)
  local ok, e = pcall(function()
    return { title = args.title, tz = check.tz(args.tz, "--tz"),
      top = check.integer(args.top or "10", "--top", 1, 1000) }
  end)
  if ok then return e end
  if not check.is_usage(e) then error(e, 0) end
  return nil, e.msg
end

--- The HTML document: records of the shops `ids` (every one gets a card,
-- an empty shop too), with what fetching them cost. A shop listed twice
-- was fetched twice: each livestream (seller_id, room_id) counts once.
function M.document(records, ids, opts, credits, pages)
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
  report_opts.shops, report_opts.credits, report_opts.pages = ids, credits, pages
  return require("shoplive").report(unique, report_opts)
end

return M
