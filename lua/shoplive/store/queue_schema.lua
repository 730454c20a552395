--- Schema version 3: the queue's indexes, one per question a worker or
-- `queue status` asks, so that none of them costs more with a million shops
-- queued than with thirty. Version 2's single (queue, state, id) index could
-- not serve the claim's "pending, or claimed with an expired lease" (an OR
-- across states): PostgreSQL walked the primary key instead, past every
-- done shop, and a claim took 0.5 s at 900k done. Partial indexes hold only
-- the rows their question is about: the pending ones (by order of queueing),
-- the claimed ones (by lease end), the failed ones; queue_tally answers the
-- counts and sums of `queue status` from the index alone.
local M = {}

function M.indexes(d)
  -- state is no key column of queue_tally: PostgreSQL then never picks it
  -- over a partial index to list the claimed or failed shops (and sort
  -- them). SQLite has no INCLUDE: there they are all key columns.
  local tally = d.name == "postgresql" and "(queue) INCLUDE (state, pages, credits)"
    or "(queue, state, pages, credits)"
  return {
    "DROP INDEX queue_next",
    "CREATE INDEX queue_pending ON queue (queue, id) WHERE state = 'pending'",
    "CREATE INDEX queue_leases ON queue (queue, lease_until) WHERE state = 'claimed'",
    "CREATE INDEX queue_failed ON queue (queue, id) WHERE state = 'failed'",
    "CREATE INDEX queue_tally ON queue " .. tally,
  }
end

return M
