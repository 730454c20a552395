--- Test helper for tests/limiter_sent_spec.lua: two limiters sharing one
-- key (two workers or processes) and one request that leaves `late`
-- seconds after its grant (a slow transport start), the other side sending
-- 9 at once as its grants come. The same loop runs in plain Lua (Redis)
-- and inside nginx (the shared dict).
--   late_send.run{ a =, b =, get =, sleep =, now =, late = }
-- get() sends one request and returns its transfer's seconds; each send
-- is reported to its limiter as the client does when a transfer ends, and
-- its success after it (a limiter's fallback bucket hands out no grant
-- number: nothing to report). Returns the number of requests sent.
local M = {}

--- get() for run: client fetches the next page of shop 999 (raising on an
-- err) and returns the seconds it took; clock: core.now.
function M.getter(client, clock)
  local page = 0
  return function()
    page = page + 1
    local t0 = clock()
    local p, err = client:livestreams{ seller_id = "999", page = page }
    assert(p, tostring(err))
    return clock() - t0
  end
end

local function send(lim, slot, get)
  local seconds = get()
  if slot then lim:sent(slot, seconds) end
  lim:on_success() -- as the client does after a page: the Redis limiter's report rides on it
end

function M.run(o)
  local a, b, get, sleep, now = o.a, o.b, o.get, o.sleep, o.now
  local wait, slot_a = a:take(now())
  assert(wait == 0, "the first grant waited " .. wait .. " s")
  local a_at, a_done, sent = now() + o.late, false, 1
  local b_sent = 0
  while b_sent < 9 or not a_done do
    if not a_done and now() >= a_at then
      send(a, slot_a, get)
      a_done = true
    end
    local w, slot = 0, nil
    if b_sent < 9 then w, slot = b:take(now()) end
    if b_sent < 9 and w == 0 then
      send(b, slot, get)
      b_sent, sent = b_sent + 1, sent + 1
    else
      -- whichever comes first: b's next grant or a's late send
      if b_sent >= 9 then w = math.huge end
      if not a_done then w = math.min(w, math.max(0.001, a_at - now())) end
      sleep(w)
    end
  end
  return sent
end

return M
