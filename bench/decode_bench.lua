-- decode_bench.lua - time core.decode_response / core.json_decode against
-- lua-cjson on a 10-record page (the spec's example record x 10).
--   lua5.4 -e 'package.cpath="build/5.4/?.so;"..package.cpath' bench/decode_bench.lua [iterations]
local core = require "shoplive.core"
local ok_cjson, cjson = pcall(require, "cjson")

local N = tonumber(arg and arg[1]) or 100000

local record = [[{
  "avatar": "https://p16-pu-useast8.tiktokcdn-us.com/tos-useast5-avt-0068-tx/8f39499ea4964ab3e77a8dd69de7ce73~tplv-tiktok-shrink:96:96.webp?s=PUBLISH&se=false&sh=96_96&sc=avatar&l=202403201000487587F9F97CCB1101112B",
  "cover_url": "https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/8f39499ea4964ab3e77a8dd69de7ce73~c5_720x720.webp?x-expires=1694055600&x-signature=FSK9hz4bmN0vbprAxtkUmDe4avM%3D",
  "create_time": 1693876970,
  "duration": 8030,
  "finish_time": 1693885000,
  "max_views_cnt": 0,
  "nick_name": "🛍ubeufashion🛍",
  "region": "US",
  "room_id": "7275145563308362538",
  "seller_id": "7494818275540568755",
  "title": "TikTok Shop Fashion Review",
  "total_joins_cnt": 2734,
  "total_sale_cnt": 0,
  "total_sale_gmv_amt": 0,
  "total_views_cnt": 3132,
  "user_id": "6798340844577768453"
}]]
local recs = {}
for i = 1, 10 do recs[i] = record end
local body = '{\n"code": 0,\n"message": "success",\n"data": [\n' .. table.concat(recs, ",\n")
  .. '\n],\n"requestId": "dbab4133-4b72-4d7d-9579-7ac5107ab76a"\n}'

-- the same body as many encoders send it: compact, '/' escaped as "\/"
local compact = body:gsub("\n%s*", ""):gsub('": ', '":'):gsub("/", "\\/")

local function check(r, records)
  assert(#records == 10 and records[10].total_views_cnt == 3132, "bad decode")
  return r
end
check(assert(core.decode_response(body)), core.decode_response(body).records)
check(assert(core.decode_response(compact)), core.decode_response(compact).records)

local function bench(name, fn, s)
  collectgarbage("collect")
  local t0 = os.clock()
  for _ = 1, N do fn(s) end
  local dt = os.clock() - t0
  print(string.format("%-34s %8.3f s  %8.2f us/page  %7.1f MB/s", name, dt, dt / N * 1e6, #s * N / dt / 1e6))
  return dt
end

print(string.format("%s, body %d bytes (compact %d), %d iterations", _VERSION, #body, #compact, N))
local results = {}
for _, b in ipairs{ { "pretty", body }, { "compact+\\/", compact } } do
  local t_resp = bench("core.decode_response " .. b[1], core.decode_response, b[2])
  local t_gen = bench("core.json_decode     " .. b[1], core.json_decode, b[2])
  if ok_cjson then
    local t_cj = bench("cjson.decode          " .. b[1], cjson.decode, b[2])
    results[#results + 1] = string.format("%s: decode_response/cjson = %.2f, json_decode/cjson = %.2f",
      b[1], t_resp / t_cj, t_gen / t_cj)
  end
end
if ok_cjson then
  for _, line in ipairs(results) do print(line) end
else
  print("cjson not found: no comparison")
end
