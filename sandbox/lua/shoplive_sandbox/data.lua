-- Deterministic livestream records for the shoplive sandbox.
--
-- Pure functions of (seller_id, index).  Portable: runs under LuaJIT (inside
-- nginx, using the `bit` library) and under Lua 5.3/5.4 (native operators), so
-- tests may compute expected records themselves.  Every generated number is an
-- integer < 2^53 and is printed with %d.
local M = {}

local floor = math.floor
local fmt = string.format
local byte = string.byte
local concat = table.concat

local TWO32 = 4294967296

local bxor, rshift
do
  local ok, bitlib = pcall(require, "bit")
  if ok and type(bitlib) == "table" and bitlib.bxor then
    local bbxor, brshift = bitlib.bxor, bitlib.rshift
    bxor = function(a, b) return bbxor(a, b) % TWO32 end
    rshift = function(a, n) return brshift(a, n) % TWO32 end
  else
    local f = assert(load([[
      local tointeger = math.tointeger
      return function(a, b) return (tointeger(a) ~ tointeger(b)) & 0xffffffff end,
             function(a, n) return (tointeger(a) & 0xffffffff) >> n end
    ]]), "need LuaJIT bit library or Lua >= 5.3")
    bxor, rshift = f()
  end
end

-- (a * b) mod 2^32 for a, b in [0, 2^32), exact with doubles.
local function mul32(a, b)
  local ah = floor(a / 65536)
  local al = a % 65536
  return ((ah * b) % 65536 * 65536 + al * b) % TWO32
end

-- murmur3 finalizer
local function mix32(x)
  x = bxor(x, rshift(x, 16))
  x = mul32(x, 0x85ebca6b)
  x = bxor(x, rshift(x, 13))
  x = mul32(x, 0xc2b2ae35)
  x = bxor(x, rshift(x, 16))
  return x
end
M.mix32 = mix32

local function fnv1a(s)
  local h = 2166136261
  for k = 1, #s do
    h = bxor(h, byte(s, k))
    h = mul32(h, 16777619)
  end
  return h
end

local shop_hash_cache, shop_hash_n = {}, 0
local function shop_hash(S)
  local h = shop_hash_cache[S]
  if not h then
    if shop_hash_n > 10000 then shop_hash_cache, shop_hash_n = {}, 0 end
    h = mix32(fnv1a(S))
    shop_hash_cache[S] = h
    shop_hash_n = shop_hash_n + 1
  end
  return h
end
M.shop_hash = shop_hash

-- hash of (shop, record index, salt); i may be <= 0 (shift records)
local function H(sh, i, salt)
  return mix32(bxor(sh, mix32((i * 2654435761 + salt * 97531) % TWO32)))
end

--- Number of records of shop S (S: string of digits).
function M.count(S)
  if #S <= 6 then return floor(tonumber(S)) end
  return floor(tonumber(S:sub(-3)))
end

local function views(sh, i)
  local a, b = H(sh, i, 1), H(sh, i, 2)
  local bucket = a % 100
  if bucket < 5 then return 0
  elseif bucket < 60 then return b % 5000
  elseif bucket < 95 then return b % 500000
  else return (b % 50000) * 1000 + a % 1000 end
end

local function sale_cnt(sh, i)
  local bucket = H(sh, i, 5) % 100
  if bucket < 30 then return 0
  elseif bucket < 90 then return H(sh, i, 6) % 1000
  else return H(sh, i, 6) % 1000000 end
end

local function gmv(sh, i)
  local n = sale_cnt(sh, i)
  if n == 0 then return 0 end
  local price
  if H(sh, i, 7) % 100 < 90 then
    price = H(sh, i, 8) % 10000 + 1
  else
    price = H(sh, i, 8) % 1000000 + 1
  end
  return n * price  -- <= 10^12
end

-- sort key functions: field number -> function(shop_hash, i)
M.key_fns = { [1] = views, [2] = sale_cnt, [3] = gmv }

local REGIONS = { "US", "GB", "ID", "MY", "PH", "TH", "VN", "SG" }
M.REGIONS = REGIONS

local TITLES = {
  "TikTok Shop Fashion Review",
  "Summer sale live",
  "Café live ☕ new arrivals",
  "日本語ライブ配信 セール",
  "Back to school 📚 deals",
  "Ünïcödé haul & unboxing",
  "Morning\tdeals",
  "50/50 deals \\o/",
  "Beauty <b>bundle</b> night",
  "Gadget Tuesday",
}
M.TITLES = TITLES

function M.room_id(S, i)
  local sh = shop_hash(S)
  if i >= 1 then
    return fmt("7%06d%012d", sh % 1000000, i)
  else
    return fmt("7%06d9%011d", sh % 1000000, -i)
  end
end

--- Record i of shop S as a Lua table (i >= 1: regular, i <= 0: shift record).
function M.record(S, i)
  local sh = shop_hash(S)
  local room_id = M.room_id(S, i)
  local create_time = 1700000000 - i * 7200 - H(sh, i, 10) % 3600
  local duration = 600 + H(sh, i, 9) % 13801
  local v = views(sh, i)
  local j = (v == 0) and 0 or H(sh, i, 3) % (v + 1)
  local mx = (j == 0) and 0 or H(sh, i, 4) % (j + 1)
  local t = H(sh, i, 12)
  local label = (i >= 1) and fmt("#%d", i) or fmt("#new%d", 1 - i)
  local title
  if i % 7 == 0 then
    title = fmt('Flash deal, "%d%% off"\nround %s', 10 + t % 80, label)
  else
    title = TITLES[t % #TITLES + 1] .. " " .. label
  end
  return {
    avatar = fmt("https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/%08x"
      .. "~tplv-tiktok-shrink:96:96.webp?s=PUBLISH&sc=avatar", sh),
    cover_url = fmt("https://p16-sign-va.tiktokcdn.com/obj/tos-maliva-p-0068/%s"
      .. "~c5_720x720.webp?x-expires=%d", room_id, create_time + 86400),
    create_time = create_time,
    duration = duration,
    finish_time = create_time + duration,
    max_views_cnt = mx,
    nick_name = "🛍shop" .. S .. "🛍",
    region = REGIONS[H(sh, i, 11) % 8 + 1],
    room_id = room_id,
    seller_id = S,
    title = title,
    total_joins_cnt = j,
    total_sale_cnt = sale_cnt(sh, i),
    total_sale_gmv_amt = gmv(sh, i),
    total_views_cnt = v,
    user_id = fmt("6%09d%09d", sh % 1000000000, mix32(bxor(sh, 0x5bd1e995)) % 1000000000),
  }
end

-- JSON string escaping (UTF-8 passed through untouched)
local ESC = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
              ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function esc_char(c)
  return ESC[c] or fmt("\\u%04x", byte(c))
end
function M.json_string(s)
  return '"' .. s:gsub('[%z\1-\31"\\\127]', esc_char) .. '"'
end
local jstr = M.json_string

M.FIELDS = { "avatar", "cover_url", "create_time", "duration", "finish_time",
  "max_views_cnt", "nick_name", "region", "room_id", "seller_id", "title",
  "total_joins_cnt", "total_sale_cnt", "total_sale_gmv_amt", "total_views_cnt",
  "user_id" }

--- JSON text of a record table (fixed key order, exact integers).
function M.encode_record(r)
  return fmt('{"avatar":%s,"cover_url":%s,"create_time":%d,"duration":%d,"finish_time":%d,'
    .. '"max_views_cnt":%d,"nick_name":%s,"region":%s,"room_id":%s,"seller_id":%s,'
    .. '"title":%s,"total_joins_cnt":%d,"total_sale_cnt":%d,"total_sale_gmv_amt":%d,'
    .. '"total_views_cnt":%d,"user_id":%s}',
    jstr(r.avatar), jstr(r.cover_url), r.create_time, r.duration, r.finish_time,
    r.max_views_cnt, jstr(r.nick_name), jstr(r.region), jstr(r.room_id), jstr(r.seller_id),
    jstr(r.title), r.total_joins_cnt, r.total_sale_cnt, r.total_sale_gmv_amt,
    r.total_views_cnt, jstr(r.user_id))
end

--- JSON text of a full 200 page: records is an array of record JSON texts.
function M.encode_page(record_texts, request_id, extra)
  return '{"code":0,"message":"success","data":[' .. concat(record_texts, ",")
    .. ']' .. (extra or "") .. ',"requestId":' .. jstr(request_id) .. '}'
end

-- small LRU of sorted permutations
local LRU_SIZE = 8
local lru = {}  -- array of {key=, perm=}

local function sorted_perm(S, n, field, desc)
  local key = S .. "|" .. field .. "|" .. (desc and "d" or "a")
  for k = 1, #lru do
    if lru[k].key == key then
      local e = table.remove(lru, k)
      table.insert(lru, 1, e)
      return e.perm
    end
  end
  local sh = shop_hash(S)
  local kf = M.key_fns[field]
  local keys, perm = {}, {}
  for i = 1, n do
    keys[i] = kf(sh, i)
    perm[i] = i
  end
  -- ties broken by room_id ascending == index ascending for regular records
  local cmp
  if desc then
    cmp = function(a, b)
      local ka, kb = keys[a], keys[b]
      if ka ~= kb then return ka > kb end
      return a < b
    end
  else
    cmp = function(a, b)
      local ka, kb = keys[a], keys[b]
      if ka ~= kb then return ka < kb end
      return a < b
    end
  end
  table.sort(perm, cmp)
  table.insert(lru, 1, { key = key, perm = perm })
  if #lru > LRU_SIZE then lru[#lru] = nil end
  return perm
end
M.sorted_perm = sorted_perm

--- Indices of the records on a page.
-- field: nil (default order) or 1|2|3; desc: boolean; shift: number of shift
-- records currently pushed in front (default order only).
function M.page_indices(S, page_num, page_size, field, desc, shift)
  local n = M.count(S)
  local out = {}
  local first = (page_num - 1) * page_size + 1
  if field then
    if first > n then return out end
    local perm = sorted_perm(S, n, field, desc)
    for p = first, math.min(n, first + page_size - 1) do
      out[#out + 1] = perm[p]
    end
  else
    shift = shift or 0
    local total = n + shift
    for p = first, math.min(total, first + page_size - 1) do
      out[#out + 1] = p - shift
    end
  end
  return out
end

--- Full JSON body of a page.
function M.page_body(S, page_num, page_size, field, desc, shift, request_id)
  local idx = M.page_indices(S, page_num, page_size, field, desc, shift)
  local texts = {}
  for k = 1, #idx do texts[k] = M.encode_record(M.record(S, idx[k])) end
  return M.encode_page(texts, request_id), #idx
end

return M
