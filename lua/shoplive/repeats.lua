--- A server that ignores page_num (or clamps it to its last page) answers
-- every page with the same full page: the stop rule (a short page) never
-- fires and every repeat costs a credit. The iterators (paging.lua) and
-- sync (sync.lua) end a shop at the first such page with an err of kind
-- "repeated_page", from the two checks here: a page identical to the one
-- before it, and a page whose records were all seen before in that shop.
-- @local
local errors = require("shoplive.errors")

local M = {}

-- A room_id as a compact set key: 19-digit ids become integers on 5.3+
-- (a hash entry without a string object: ~half the memory per id). No
-- leading zeros: "007" and "7" must stay different keys.
local int_keys = math.type ~= nil

--- A fingerprint of a page's records: the room_ids in order, or for a record
-- without one its scalar fields (sorted), so two pages compare equal only
-- when they carry the same records in the same order.
local function fingerprint(recs)
  local parts = {}
  for i = 1, #recs do
    local r = recs[i]
    if r.room_id ~= nil then
      parts[i] = "id:" .. tostring(r.room_id)
    else
      local kv = {}
      for k, v in pairs(r) do
        if type(v) ~= "table" then kv[#kv + 1] = tostring(k) .. "=" .. tostring(v) end
      end
      table.sort(kv)
      parts[i] = table.concat(kv, "\2")
    end
  end
  return table.concat(parts, "\1")
end

--- The err that ends a shop at page n.
function M.err(page, n, why)
  return errors.new{ kind = "repeated_page", page = n, request_id = page.request_id, attempts = 1,
    message = "page " .. n .. " " .. why .. "; the server seems to ignore page_num, so the shop ends here" }
end

local Guard = {}
Guard.__index = Guard

--- One shop's memory of its previous full page.
function M.guard()
  return setmetatable({ ids = {}, n = nil, print = nil }, Guard)
end

--- True when recs are the records of the previous page given, in the same
-- order; remembers recs for the next call. The previous page's room_ids
-- stay in a table reused from page to page when every record has a string
-- id (comparing them one by one says what comparing fingerprints would,
-- without building a string per record on every page), else its
-- fingerprint.
function Guard:same_as_last(recs)
  local n = #recs
  for i = 1, n do
    if type(recs[i].room_id) ~= "string" then
      local fp = fingerprint(recs)
      local same = fp == self.print
      self.print, self.n = fp, nil
      return same
    end
  end
  local same, ids = self.n == n, self.ids
  for i = 1, n do
    local id = recs[i].room_id
    if ids[i] ~= id then same = false end
    ids[i] = id
  end
  self.n, self.print = n, nil
  return same
end

--- The records of recs not seen before in the shop, in order, marking them
-- seen (seen: a set of to_key(room_id)); a record without a room_id is new.
function M.fresh(recs, seen)
  local kept = {}
  for i = 1, #recs do
    local r = recs[i]
    local id = r.room_id
    if id == nil then
      kept[#kept + 1] = r
    else
      -- to_key(id), written out: it runs for every record of every page
      local k = id
      if int_keys and type(id) == "string" and id:find("^[1-9]%d*$")
        and (#id <= 18 or (#id == 19 and id <= "9223372036854775807")) then
        k = math.tointeger(tonumber(id))
      end
      if not seen[k] then
        seen[k] = true
        kept[#kept + 1] = r
      end
    end
  end
  return kept
end

--- The check of one full page n (one that leads to another request): the
-- err when it repeats, else nil. seen: the shop's set of room_ids so far.
function Guard:check(page, n, seen)
  local recs = page.records
  if #recs == 0 then return nil end
  if self:same_as_last(recs) then return M.err(page, n, "is identical to page " .. (n - 1)) end
  if #M.fresh(recs, seen) == 0 then
    return M.err(page, n, "holds only records already seen (" .. #recs .. " of them)")
  end
  return nil
end

return M
