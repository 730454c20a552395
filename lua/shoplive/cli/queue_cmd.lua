--- `shoplive queue status|add --db postgresql://... --queue NAME`: the
-- shared queue of a crawl split across hosts (store/queue.lua). Its options
-- are declared in cli/parser.lua. `status` prints the counts, then one line
-- per claimed shop (by whom, since when, until when) and per failed shop
-- (its err); `add` queues shops (done and failed ones again) without
-- syncing. Exit status: 0, 1 the store failed, 2 bad usage.
local check = require("shoplive.cli.args")
local store_opts = require("shoplive.cli.store_opts")
local util = require("shoplive.util")

local M = {}

local function utc(t)
  return t and os.date("!%Y-%m-%d %H:%M:%S UTC", t) or "?"
end

local function status(s, name, env)
  local q, err = s:queue_status(name)
  if not q then
    env.stderr:write(util.clean(tostring(err)), "\n")
    return 1
  end
  local out = env.stdout
  out:write(string.format("queue %s: %d shops: %d pending, %d claimed, %d done, %d failed; %d pages, %d credits "
    .. "(done and failed shops)\n", name, q.total, q.pending, #q.claimed, q.done, #q.failed, q.pages, q.credits))
  for _, c in ipairs(q.claimed) do
    local left = c.lease_until and q.now and c.lease_until - q.now
    out:write(string.format("claimed %s by %s since %s (%ss), lease %s (attempt %d)\n", c.seller_id,
      util.clean(c.claimed_by or "?"), utc(c.claimed_at), q.now and c.claimed_at and (q.now - c.claimed_at) or "?",
      left == nil and "?" or left >= 0 and ("until " .. utc(c.lease_until)) or "expired (any worker takes it over)",
      c.attempts))
  end
  for _, f in ipairs(q.failed) do
    out:write(string.format("failed %s at %s by %s (attempt %d): %s\n", f.seller_id, utc(f.finished_at),
      util.clean(f.claimed_by or "?"), f.attempts, util.clean(f.err or f.err_kind or "?")))
  end
  return 0
end

--- `shoplive queue ...`: returns the exit status.
function M.run(args, env)
  local name = args.queue
  if not name then check.usage_error("--queue NAME is required") end
  check.queue_name(name)
  local ids
  if args.action == "add" then
    ids = store_opts.sellers(args, env)
  elseif #(args.seller_ids or {}) > 0 or args.from then
    check.usage_error("queue status takes no shop ids")
  end
  local store = store_opts.open_store(args.db, env, args.action ~= "add") -- status only reads: a read-only role may ask
  if not store then return 1 end
  if store.dialect.name ~= "postgresql" then
    store:close()
    check.usage_error("a queue needs a PostgreSQL store (--db postgresql://...): SQLite cannot share work "
      .. "between hosts")
  end
  local code
  if args.action == "add" then
    local n, err = store:enqueue(name, ids)
    if n then
      -- the others, if any, were there already (a done or failed shop is queued again)
      env.stdout:write(string.format("queue %s: %d of %d shop%s queued%s\n", name, n, #ids, #ids == 1 and "" or "s",
        n < #ids and (n == #ids - 1 and " (the other was already pending or claimed)"
          or " (the others were already pending or claimed)") or ""))
      code = 0
    else
      env.stderr:write(util.clean(tostring(err)), "\n")
      code = 1
    end
  else
    code = status(store, name, env)
  end
  store:close()
  return code
end

return M
