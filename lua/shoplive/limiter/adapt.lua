--- The adaptive part of every limiter: how a 429 cuts the rate and how
-- successes win it back. Pure functions over a state table
-- { rate =, ceiling =, calm = } so that the in-process bucket, the nginx
-- shared dict and the Redis script (which embeds this file's source: keep it
-- plain Lua 5.1 using nothing but `math` and `string`) apply the same rules.
--
-- A 429 halves the rate the client was really sending at (what it sent in
-- the last second, when known, else its pacing rate); the rate the server
-- refused becomes a ceiling. Each success doubles the rate (so one success
-- undoes one cut: a server answering two 429s per page cannot ratchet the
-- client down to the floor) up to 95% of the ceiling. After CALM successes in a row
-- without a 429 the ceiling is forgotten and the rate returns to the
-- configured qps, or to no pacing at all when none was configured: a storm
-- of 429s never leaves the client slow for good, and a server that still
-- limits says so again with its next 429.
local M = {}

M.RECOVERY = 0.05 -- share of the target won back per success
M.GROW = 2        -- factor won back per success (undoes one cut)
M.MARGIN = 0.95   -- stay this far under a rate the server refused
M.FLOOR = 0.1     -- lowest rate, requests/second
M.BURST = 1       -- seconds during which further 429s belong to one burst
M.CALM = 20       -- successes in a row after which the ceiling is forgotten
M.LONE = 3        -- sent fewer than this in the last second: a trickle
M.SLOTS = 10      -- sends are counted in slots of 1/SLOTS second
-- A server counting a sliding one-second window sees each send some time
-- after the limiter let it go: sends spaced exactly 1/qps apart put qps + 1
-- in its window as soon as the first of them is a little later than the
-- last. The shared limiters keep a log of their sends: grant n waits until
-- every send granted before n - per_window(rate) left WINDOW seconds ago
-- (the log's settled prefix, settle below), so any floor(rate) + 1 sends
-- span WINDOW seconds, whatever order they left in. The log holds the time
-- each request LEFT, which the client reports when its transfer ends
-- (sent(n, ago)), not the time the limiter let it go (with the grant's
-- time, a WINDOW of 1.15 was needed: 13% of the rate).
--
-- What is left is the time between the reported send and the server's
-- stamp, d. Grant n itself cannot reach the server before it is granted,
-- so only the earlier send's d eats the margin: the window holds when each
-- send's d is under WINDOW - 1 plus what its entry in the log adds
-- (excess below). A fixed 100 ms (WINDOW 1.10, 0.91 x qps) was needed for
-- a loaded machine (beside three CPU hogs the server saw 6 sends 54 ms
-- closer than a window of 1.04: a 429), where 40 ms serve a quiet one; at
-- load 28-32 beside three hogs even 100 ms drew 429s in 3 of 6 bench runs
-- (6 sends within 0.805 s at worst: d near 0.3 s).
-- The server stamps a request before it answers, so d is at most the
-- transfer's time, ago; the part of ago every request has (the server's
-- work, the network's fixed delay: the least ago lately) is not jitter. So
-- each send's entry moves later by what its transfer took beyond the
-- least its taker saw lately (limiter/jitter.lua), up to CEILING - (WINDOW
-- - 1): a send the loaded machine delayed widens the window behind it,
-- a quiet run keeps WINDOW. The margin rides in the log entry, so every
-- taker applies the one measured by the taker that sent it (a max of
-- recent takers' figures kept beside the log would also widen the windows
-- behind sends that were not late). The ceiling bounds what an API whose
-- answer times vary for its own reasons (after its stamp) costs: 1/1.5 of
-- the rate at worst; at 0.20 one of 6 such runs drew a 429 (0.926 s).
M.WINDOW = 1.04
M.CEILING = 0.50 -- the most a send's margin reaches (WINDOW - 1 plus its excess)
-- A send not reported yet may still be on its way: a grant that needs it
-- waits for the report (checking every POLL seconds), for HOLD seconds at
-- most after its grant; then it counts as leaving at grant + HOLD (a
-- process that died, a request refused by the budget or cancelled after
-- its grant). An answer slower than WINDOW holds its slot until it comes.
M.HOLD = 2
M.POLL = 0.02
-- Grants are at least SPREAD intervals apart when a window holds more than
-- one: the spacing only spreads the first window's sends (the window is the
-- limit, and later grants follow the sends a window before them). With a
-- whole interval, each grant the loaded machine made late pushed every
-- later one: 0.94 x qps through Redis beside two CPU hogs.
M.SPREAD = 0.5

--- The sends the log holds per WINDOW at `rate` (at least 1).
function M.per_window(rate)
  return math.max(1, math.floor(rate))
end

--- Seconds a send's log entry moves past the time it left: the part of
-- its transfer's time `ago` beyond `base` (the least its taker saw lately;
-- 0 when none yet), up to CEILING - (WINDOW - 1), and never past the
-- report (ago), which the server's stamp cannot follow.
function M.excess(ago, base)
  local e = math.min(ago - (base or 0), M.CEILING - (M.WINDOW - 1), ago)
  return math.max(0, e)
end

--- The least time between two grants at `rate`: 1/rate, or the whole
-- WINDOW / rate when a window holds a single send.
function M.interval(rate)
  if M.per_window(rate) == 1 then return M.WINDOW / rate end
  return 1 / rate
end

--- Seconds a grant's times stay in the log: until any grant still looks
-- at them.
function M.log_ttl(rate)
  return M.WINDOW + M.HOLD + M.interval(rate) + 2
end

--- Moves the settled prefix of the log on: every send up to grant p has
-- left, the latest at time m (nil: none). get(i) returns grant i's time
-- and the time its request left (nil when not reported; both nil once the
-- log forgot it, long ago). Goes up to grant `last`, or stops at the first
-- send that may not have left yet. Returns p, m, and when it stopped, the
-- time to look again. Grants further back than max_rate grants in twice
-- their log_ttl are forgotten: a prefix lost (an evicted key) is not
-- rebuilt one grant at a time.
function M.settle(p, m, last, now, get, max_rate)
  p = math.max(p, last - math.ceil(2 * max_rate * M.log_ttl(max_rate)))
  while p < last do
    local granted, left = get(p + 1)
    if granted and not left then
      if now < granted + M.HOLD then return p, m, math.min(now + M.POLL, granted + M.HOLD) end
      left = granted + M.HOLD
    end
    if left and (not m or left > m) then m = left end
    p = p + 1
  end
  return p, m
end

--- The grant number up to which every send must have left WINDOW seconds
-- before grant n at `rate` (none when below 1).
function M.bound(rate, n)
  return n - M.per_window(rate)
end

--- The seconds to wait at `now` before the next grant, given the last
-- grant's time and the latest send of the bound (nil when none): never
-- more than WINDOW or one interval, whatever the stamps say (a clock that
-- stepped back leaves stamps in the future).
function M.log_wait(rate, now, last, latest)
  local gap, w = M.interval(rate), 0
  local spaced = M.per_window(rate) > 1 and gap * M.SPREAD or gap
  if last and last <= now + gap then w = math.max(0, last + spaced - now) end
  if latest and latest <= now and M.per_window(rate) > 1 then w = math.max(w, latest + M.WINDOW - now) end
  return w
end

--- "p m" for the store, and back.
function M.settled_text(p, m)
  return string.format("%d %.6f", p, m or -1)
end

function M.settled_parse(text)
  local p, m = tostring(text or ""):match("^(%d+) (%S+)$")
  if not p then return 0, nil end
  m = tonumber(m)
  return tonumber(p), (m and m >= 0) and m or nil
end

--- The slot a send at time t (seconds) is counted in.
function M.slot(t)
  return math.floor(t * M.SLOTS)
end

--- What was sent in the second before t, from the counts of its slots
-- (get(slot) -> count or nil): the slots inside the window whole, the one
-- it cuts at its start weighted by the share it covers. Slots of a tenth
-- of a second keep the estimate within a tenth of the truth: with whole
-- seconds, 3 sends 70 ms apart across a second's edge counted as 2.96.
function M.sent_last_second(get, t)
  local cur = M.slot(t)
  local n = (get(cur - M.SLOTS) or 0) * (1 - (t * M.SLOTS - cur))
  for i = cur - M.SLOTS + 1, cur do n = n + (get(i) or 0) end
  return n
end

--- The rate successes lead back to (nil: no pacing).
function M.target(s, max_rate)
  local t = max_rate
  if s.ceiling then
    local c = s.ceiling * M.MARGIN
    if not t or c < t then t = c end
  end
  return t
end

--- A new burst of 429s (the caller keeps to one call per BURST seconds).
-- observed: requests sent in the last second, or nil when unknown. Returns
-- true when the state changed.
function M.cut(s, observed, max_rate)
  if observed and observed < M.LONE then
    -- A 429 at a trickle is not cured by pacing: Retry-After and backoff
    -- handle it, and the rate is left alone.
    return false
  end
  -- the server objected to what was sent; the pace is halved from what it
  -- was really doing (a client waiting on answers sends under its pace)
  local refused = observed or s.rate or max_rate
  if not refused then return false end
  local r = s.rate or max_rate
  if not r or refused < r then r = refused end
  if not s.ceiling or refused < s.ceiling then s.ceiling = refused end
  s.rate = math.max(M.FLOOR, r / 2)
  s.calm = 0
  return true
end

--- One success. Returns true when the state changed.
function M.success(s, max_rate)
  if not s.rate or (s.rate == max_rate and not s.ceiling) then return false end
  s.calm = (s.calm or 0) + 1
  if s.ceiling and s.calm >= M.CALM then s.ceiling = nil end
  local t = M.target(s, max_rate)
  if not t then
    s.rate = nil
    return true
  end
  s.rate = math.min(t, math.max(s.rate * M.GROW, s.rate + t * M.RECOVERY))
  return true
end

return M
