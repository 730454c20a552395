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
local query = require("shoplive.query")
local repeats = require("shoplive.repeats")
local schema = require("shoplive.schema")
local util = require("shoplive.util")

local M = {}

local ITER_ARGS = { max_pages = true, limit = true, concurrency = true, dedup = true }


--- Validate iterator arguments; raises at the caller of client:`fname`
-- (argcheck finds that frame).
local function check_args(q, fname)
  local p = query.check(q, fname, ITER_ARGS)
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

--- _run_until's test for one request (no closure per page).
local function is_done(req) return req.state == "done" end

local repeated = repeats.err

--- The page source. Returns next_page() (page | nil at the end; raises the
-- err object on failure) and close() (cancels pages in flight).
local function source(client, p, it)
  local page_size = p.page_size
  local first = p.page
  local next_start, next_yield = first, first
  local inflight = {}      -- page number -> request
  local ninflight = 0
  local stopped = false
  local seen = it.dedup and {} or nil
  local produced = 0       -- records handed out (after dedup)
  -- Validated once; each page only splices its number into the URL.
  local url_prefix, url_suffix = query.url_parts(client.base_url, p)
  local seller_id, sort_field, sort_type = p.seller_id, p.sort_field, p.sort_type
  local guard = repeats.guard()

  local function close()
    stopped = true
    for n, req in pairs(inflight) do
      req:cancel()
      inflight[n] = nil
    end
    ninflight = 0
  end

  local function may_start(n)
    if n > schema.MAX_PAGE then return false end
    if it.max_pages and n >= first + it.max_pages then return false end
    if it.limit then
      -- Pages already in flight cover this many more records at most.
      local covered = (n - next_yield) * page_size
      if produced + covered >= it.limit then return false end
    end
    return true
  end

  local function next_page()
    if stopped then return nil end
    while ninflight < it.concurrency and may_start(next_start) do
      local q = { seller_id = seller_id, sort_field = sort_field, sort_type = sort_type, page = next_start,
        page_size = page_size }
      inflight[next_start] = client:_enqueue(q, url_prefix .. next_start .. url_suffix)
      ninflight = ninflight + 1
      next_start = next_start + 1
    end
    local req = inflight[next_yield]
    if not req then
      close()
      return nil
    end
    client:_run_until(is_done, req)
    inflight[next_yield] = nil
    ninflight = ninflight - 1
    local page, err = req:result()
    if not page then
      close()
      error(err, 0)
    end
    local n = next_yield
    next_yield = next_yield + 1
    -- The stop rule (page.has_more) looks at what the server sent, before dedup.
    local more = page.has_more
    -- (only a page that would lead to another request can start a loop)
    if more and #page.records > 0 then
      if guard:same_as_last(page.records) then
        close()
        error(repeated(page, n, "is identical to page " .. (n - 1)), 0)
      end
    end
    if seen then
      local recs = page.records
      local kept = repeats.fresh(recs, seen)
      page.duplicates = #recs - #kept
      if more and #kept == 0 then
        close()
        error(repeated(page, n, "holds only records already seen (" .. #recs .. " of them)"), 0)
      end
      page.records = kept
    end
    if it.limit and produced + #page.records >= it.limit then
      for i = #page.records, it.limit - produced + 1, -1 do page.records[i] = nil end
      close()
    end
    produced = produced + #page.records
    if not more then close() end
    return page
  end

  return next_page, close
end

--- Iterator plumbing: the producer runs in a coroutine, and yields that are
-- not ours (a `wait = coroutine.yield` hook inside the client) are passed up
-- to the enclosing coroutine and resumed with its answer, so a user's
-- scheduler keeps working inside our loops.
local TAG = {}

local function iterator(producer, close)
  local co = coroutine.create(function()
    producer(function(v) coroutine.yield(TAG, v) end)
  end)
  local finished = false
  -- What the producer's coroutine gave back, passed on as varargs (no
  -- table per value): our TAG is a value for the loop, anything else a
  -- foreign yield to pass up, whose answer resumes the producer.
  local resumed
  resumed = function(ok, first, ...)
    if not ok then
      finished = true
      close()
      error(first, 0)
    end
    if coroutine.status(co) == "dead" then
      finished = true
      close()
      return nil
    end
    if first == TAG then return (...) end
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

--- for page in client:pages(q) do ... end
function M.pages(self, q)
  local p, it = check_args(q, "pages")
  local next_page, close = source(self, p, it)
  return iterator(function(emit)
    while true do
      local page = next_page()
      if not page then return end
      emit(page)
    end
  end, close)
end

--- for rec in client:each_livestream(q) do ... end
function M.each_livestream(self, q)
  local p, it = check_args(q, "each_livestream")
  local next_page, close = source(self, p, it)
  return iterator(function(emit)
    while true do
      local page = next_page()
      if not page then return end
      local recs = page.records
      for i = 1, #recs do emit(recs[i]) end
    end
  end, close)
end

--- local recs, err = client:all_livestreams(q): every record, or nil, err
-- (err.records holds what was fetched before the failure).
function M.all_livestreams(self, q)
  local p, it = check_args(q, "all_livestreams")
  local next_page, close = source(self, p, it)
  local out = {}
  local ok, err = pcall(function()
    while true do
      local page = next_page()
      if not page then return end
      local recs = page.records
      for i = 1, #recs do out[#out + 1] = recs[i] end
    end
  end)
  close()
  if not ok then
    if not errors.is_err(err) then error(err, 0) end -- a bug, not a failure: re-raise
    err.records = out
    return nil, err
  end
  return out
end

return M
