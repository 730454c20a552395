-- One worker of tests/queue_spec.lua (and bench/queue_bench.lua): a separate
-- Lua process, as on another host, syncing the shops of a PostgreSQL queue.
--   lua queue_worker.lua BASE_URL DB_URL QUEUE LEASE CONCURRENCY [STUCK_AFTER [REDIS_URL QPS [KEY]]]
-- STUCK_AFTER = N (0: never): after its Nth page the worker prints
-- "stuck SELLER PAGE" and hangs without renewing its lease, for the spec to
-- kill -9 it mid-shop. REDIS_URL, QPS, KEY: a shared Redis limiter; QPS
-- with REDIS_URL "-": the client's own limiter (the victim's: sync asks
-- for a shop's next page before it saves and shows the page it has, so only
-- a page held back by the limiter is not yet bought when it hangs).
-- Prints "shops=N pages=N credits=N cache_hits=N failed=N lost=N".
local shoplive = require("shoplive")
local core = require("shoplive.core")
local base, db, queue, lease, conc = arg[1], arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5])
local stuck, redis, qps, key = tonumber(arg[6] or "0"), arg[7], tonumber(arg[8] or ""), arg[9] or "queue"
if redis == "-" then redis = nil end
local store = shoplive.store.open(db)
local client = shoplive.new{ api_key = "sk_test_queue_worker", base_url = base, store = store, timeout = 10,
  limiter = redis and shoplive.limiter.redis{ url = redis, qps = qps, key = key, peers = 4 } or nil,
  qps = not redis and qps or nil }
local n = 0
local report, err = client:sync{ queue = queue, lease = lease, concurrency = conc, on_page = function(page, seller)
  n = n + 1
  if stuck > 0 and n >= stuck then
    io.stdout:write("stuck ", seller, " ", page.page, "\n")
    io.stdout:flush()
    while true do core.sleep(3600) end
  end
end }
if not report then
  io.stderr:write(tostring(err), "\n")
  report = err.report
end
local failed = 0
for seller, e in pairs(report.failed) do
  failed = failed + 1
  io.stderr:write(seller, ": ", tostring(e), "\n")
end
print(string.format("shops=%d pages=%d credits=%d cache_hits=%d failed=%d lost=%d", report.shops, report.pages,
  report.credits, report.cache_hits, failed, report.lost or 0))
client:close()
store:close()
os.exit(err and 1 or 0)
