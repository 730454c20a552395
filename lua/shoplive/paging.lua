--- Whole shops: client:pages, client:each_livestream, client:all_livestreams.
--
-- One page source serves all three. It keeps up to `concurrency` pages in
-- flight (1 = strictly lazy: a page is requested only when the loop asks for
-- it, so breaking early spends nothing more) and hands pages out in page
-- order. Stop rules, exact in credits: after a page shorter than page_size
-- (an empty page included), after page 100000, after max_pages pages, and
-- once `limit` records were produced. With concurrency N the pages already in
-- flight when a stop rule fires are cancelled; at most N-1 of them may have
-- reached the server, which is the prefetch's whole extra cost.
--
-- A server that ignores page_num (or clamps it to its last page) answers
-- every page with the same full page, so the stop rule never fires and dedup
-- leaves nothing to count towards `limit`. Two checks bound that to one extra
-- request: a page whose records were all seen before (dedup), and a page
-- identical to the one before it (any dedup setting) end the shop with an err
-- of kind "repeated_page" (not retryable; all_livestreams puts what was
-- fetched in err.records). The repeated page itself is not handed out.
local argcheck = require("shoplive.argcheck")
local errors = require("shoplive.errors")
local repeats = require("shoplive.repeats")
local schema = require("shoplive.schema")
local util = require("shoplive.util")

local M = {}

local ITER_ARGS = { max_pages = true, limit = true, concurrency = true, dedup = true }


--- Validate iterator arguments; raises at the caller of client:`fname`
-- (argcheck finds that frame). The query is checked once by the client
-- (client:query), so each page is only its number.
local function check_args(client, q, fname)
  local p = client:query(q, fname, ITER_ARGS)
  local function count(name, max)
    local v = q[name]
    if v == nil then return nil end
    local i = util.tointeger(v)
    if not i or i < 1 or (max and i > max) then
      argcheck.raise(fname .. ": argument '" .. name .. "' must be an integer >= 1"
        .. (max and (" and <= " .. max) or "") .. ", got " .. util.describe(v))
    end
    return i
  end
  local it = {
    max_pages = count("max_pages"),
    limit = count("limit"),
    concurrency = count("concurrency", schema.MAX_CONCURRENCY) or schema.DEFAULT_CONCURRENCY_PAGING,
    dedup = q.dedup,
  }
  if it.dedup ~= nil and type(it.dedup) ~= "boolean" then
    argcheck.raise(fname .. ": argument 'dedup' must be a boolean, got " .. util.describe(it.dedup))
  end
  it.dedup = it.dedup ~= false
  return p, it
end

local repeated = repeats.err

--- The page source of one shop: pages in flight by number, handed out in order.
local Source = {}
Source.__index = Source

local function new_source(client, p, it)
  local src = setmetatable({ client = client, p = p, it = it, first = p.page,
    next_start = p.page, next_yield = p.page, -- the next page to ask for, and to hand out
    inflight = {}, ninflight = 0, stopped = false,
    seen = it.dedup and {} or nil, produced = 0, -- records handed out (after dedup)
    guard = repeats.guard(), at = {}, -- the submit options, reused for every page
  }, Source)
  -- the run condition, made once (not a closure per page)
  src.ready = function() return src.waiting.state == "done" end
  return src
end

--- Cancel the pages in flight; nothing more is asked for.
function Source:close()
  self.stopped = true
  for n, req in pairs(self.inflight) do
    req:cancel()
    self.inflight[n] = nil
  end
  self.ninflight = 0
end

--- Ask for pages until `concurrency` are in flight or a stop rule says no
-- (the rules are checked inline: fill runs for every page).
function Source:fill()
  local client, at, it = self.client, self.at, self.it
  local conc, max_pages, limit = it.concurrency, it.max_pages, it.limit
  while self.ninflight < conc do
    local n = self.next_start
    if n > schema.MAX_PAGE or (max_pages and n >= self.first + max_pages) then return end
    -- Pages already in flight cover this many more records at most.
    if limit and self.produced + (n - self.next_yield) * self.p.page_size >= limit then return end
    at.page = n
    self.inflight[n] = client:submit(self.p, at)
    self.ninflight = self.ninflight + 1
    self.next_start = n + 1
  end
end

--- Closes, then raises err (the iterators' way to fail).
function Source:fail(err)
  self:close()
  error(err, 0)
end

--- The repeat checks and the limit on page n (raise on a repeat).
function Source:filter(page, n)
  -- The stop rule (page.has_more) looks at what the server sent, before dedup.
  local more = page.has_more
  -- (only a page that would lead to another request can start a loop)
  if more and #page.records > 0 and self.guard:same_as_last(page.records) then
    self:fail(repeated(page, n, "is identical to page " .. (n - 1)))
  end
  if self.seen then
    local recs = page.records
    local kept = repeats.fresh(recs, self.seen)
    page.duplicates = #recs - #kept
    if more and #kept == 0 then
      self:fail(repeated(page, n, "holds only records already seen (" .. #recs .. " of them)"))
    end
    page.records = kept
  end
  local limit, produced = self.it.limit, self.produced
  if limit and produced + #page.records >= limit then
    for i = #page.records, limit - produced + 1, -1 do page.records[i] = nil end
    self:close()
  end
  self.produced = produced + #page.records
  if not more then self:close() end
end

--- The next page in order (nil at the end; raises the err on failure).
function Source:next()
  if self.stopped then return nil end
  self:fill()
  local n = self.next_yield
  local req = self.inflight[n]
  if not req then
    self:close()
    return nil
  end
  self.waiting = req
  self.client:run(self.ready)
  self.inflight[n] = nil
  self.ninflight = self.ninflight - 1
  local page, err = req:result()
  if not page then self:fail(err) end
  self.next_yield = n + 1
  self:filter(page, n)
  return page
end

--- Iterator plumbing: the producer runs in a coroutine and yields TAG with
-- each value for the loop, DONE when it ends; yields that are not ours (a
-- `wait = coroutine.yield` hook inside the client) are passed up to the
-- enclosing coroutine and resumed with its answer, so a user's scheduler
-- keeps working inside our loops.
local TAG, DONE = {}, {}

local function iterator(producer, close)
  local co = coroutine.create(producer)
  local finished = false
  -- What the producer's coroutine gave back, passed on as varargs (no
  -- table per value); DONE, not coroutine.status, tells its end (a
  -- foreign yield may yield nothing at all).
  local resumed
  resumed = function(ok, first, ...)
    if first == TAG and ok then return (...) end
    if not ok then
      finished = true
      close()
      error(first, 0)
    end
    if first == DONE then
      finished = true
      close()
      return nil
    end
    return resumed(coroutine.resume(co, coroutine.yield(first, ...)))
  end
  local function step()
    if finished then return nil end
    return resumed(coroutine.resume(co))
  end
  -- The 4th value is closed by Lua 5.4's generic for on break or error, so
  -- an abandoned loop cancels its prefetched pages at once.
  local closer = setmetatable({}, { __close = function() finished = true; close() end })
  return step, nil, nil, closer
end

--- An iterator over the pages of q for client:`fname`: whole pages, or
-- (whole false) their records one by one. No closure runs per page.
local function page_loop(self, q, fname, whole)
  local p, it = check_args(self, q, fname)
  local src = new_source(self, p, it)
  return iterator(function()
    -- a while, not a generic for: on 5.1 a wait hook's coroutine.yield
    -- cannot cross the for's call of its iterator
    while true do
      local page = src:next()
      if not page then return DONE end
      if whole then
        coroutine.yield(TAG, page)
      else
        local recs = page.records
        for i = 1, #recs do coroutine.yield(TAG, recs[i]) end
      end
    end
  end, function() src:close() end)
end

--- for page in client:pages(q) do ... end
function M.pages(self, q)
  return page_loop(self, q, "pages", true)
end

--- for rec in client:each_livestream(q) do ... end
function M.each_livestream(self, q)
  return page_loop(self, q, "each_livestream", false)
end

--- local recs, err = client:all_livestreams(q): every record, or nil, err
-- (err.records holds what was fetched before the failure).
function M.all_livestreams(self, q)
  local p, it = check_args(self, q, "all_livestreams")
  local src = new_source(self, p, it)
  local out = {}
  local ok, err = pcall(function()
    while true do
      local page = src:next()
      if not page then return end
      local recs = page.records
      for i = 1, #recs do out[#out + 1] = recs[i] end
    end
  end)
  src:close()
  if not ok then
    if not errors.is_err(err) then error(err, 0) end -- a bug, not a failure: re-raise
    err.records = out
    return nil, err
  end
  return out
end

return M
