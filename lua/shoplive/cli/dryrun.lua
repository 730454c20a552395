--- `--dry-run`: the requests a run would send and what they may cost,
-- without sending anything (no key needed).
local query = require("shoplive.query")
local schema = require("shoplive.schema")

local M = {}

local SHOWN = 20 -- requests listed per shop; the rest are counted

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

--- q: the fetch query (seller_id ignored), ids: seller ids, base: base URL.
function M.run(q, ids, base, out)
  local last = schema.MAX_PAGE
  if q.max_pages then last = math.min(last, q.page + q.max_pages - 1) end
  if q.limit then last = math.min(last, q.page + math.ceil(q.limit / q.page_size) - 1) end
  local n = last - q.page + 1
  for _, id in ipairs(ids) do
    local p = query.check({ seller_id = id, sort_by = q.sort_by, order = q.order, page = q.page,
      page_size = q.page_size }, "dry-run")
    local shown = math.min(n, SHOWN)
    for i = 0, shown - 1 do
      p.page = q.page + i
      out:write("GET ", query.url(base, p), "\n")
    end
    if n > shown then out:write("... ", n - shown, " more, through page ", last, "\n") end
  end
  local shops = #ids
  local total = n * shops
  local each = shops > 1 and string.format(" (%s per shop, %d shops)", plural(n, "credit"), shops) or ""
  if q.max_pages or q.limit then
    out:write(string.format("at most %s, at most %s%s; a shop ends earlier at its first page shorter than %d\n",
      plural(total, "request"), plural(total, "credit"), each, q.page_size))
  else
    -- No flag bounds the run: the shop's size does.
    out:write(string.format("up to %s, up to %s%s: 1 credit per page until the first page shorter than %d"
      .. " (a shop of R records costs floor(R/%d)+1 credits), at most %d pages per shop\n",
      plural(total, "request"), plural(total, "credit"), each, q.page_size, q.page_size, n))
  end
  if q.concurrency > 1 then
    local extra = math.min(q.concurrency - 1, math.max(0, n - 1))
    out:write(string.format("with --concurrency %d, up to %s past a shop's last page may already be in flight"
      .. " when it ends (up to %s more per shop, never past the limits above)\n",
      q.concurrency, plural(extra, "page"), plural(extra, "credit")))
  end
end

return M
