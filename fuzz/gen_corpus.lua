--- fuzz/gen_corpus.lua OUTDIR [SANDBOX_URL]: write the seed corpus.
-- Real bodies are copied from tests/fixtures/bodies and sandbox/fixtures (run
-- from the repo root); with a sandbox URL, a few live pages and every canned
-- bad body of the sandbox's `body` fault are saved too. Then the hand-made
-- nasty inputs below. The result is committed as fuzz/corpus/; rerun this only
-- to refresh it (`make fuzz-corpus`).
local out = assert(arg[1], "usage: gen_corpus.lua OUTDIR [SANDBOX_URL]")
local url = arg[2]

local n = 0
local function put(name, body)
  local f = assert(io.open(out .. "/" .. name, "wb"))
  f:write(body)
  f:close()
  n = n + 1
end

-- run from the repo root: the specs' file helpers
package.path = "tests/?.lua;" .. package.path
local slurp = require("support.files").read

-- real bodies ------------------------------------------------------------------
for _, dir in ipairs{ "tests/fixtures/bodies", "sandbox/fixtures" } do
  local p = io.popen("ls " .. dir)
  for file in p:lines() do
    put("real_" .. dir:gsub("/", "_") .. "_" .. file, assert(slurp(dir .. "/" .. file)))
  end
  p:close()
end

if url and url ~= "" then
  local function get(target, key)
    local p = io.popen("curl -s -H 'Authorization: Bearer " .. (key or "sk_test_fuzz") .. "' '" .. url .. target .. "'")
    local s = p:read("a")
    p:close()
    return s
  end
  local api = "/v1/tiktok/shop/livestreams/analytics?"
  put("live_237_p1", get(api .. "seller_id=237&page_num=1&page_size=10"))
  put("live_237_p24", get(api .. "seller_id=237&page_num=24&page_size=10"))
  put("live_237_p99", get(api .. "seller_id=237&page_num=99&page_size=10"))
  put("live_spec_seller", get(api .. "seller_id=7494818275540568755&page_num=3&page_size=3"))
  put("live_9990001", get(api .. "seller_id=9990001&page_num=1&page_size=10"))
  put("live_401", get(api .. "seller_id=237&page_num=1&page_size=10", "sk_test_invalid"))
  put("live_402", get(api .. "seller_id=237&page_num=1&page_size=10", "sk_test_noquota"))
  put("live_400", get(api .. "seller_id=237&page_num=0&page_size=10"))
  for _, name in ipairs{ "truncated_json", "trailing_garbage", "html", "empty", "not_object", "deep_nesting",
                         "invalid_utf8", "code_nonzero", "data_not_array", "missing_data", "float_page" } do
    get("/_sandbox/fault?type=body&name=" .. name)
    put("sandbox_body_" .. name, get(api .. "seller_id=237&page_num=1&page_size=10"))
  end
end

-- nasty inputs ------------------------------------------------------------------
local function page(data) return '{"code":0,"message":"success","data":' .. data .. ',"requestId":"r"}' end
local function rec(fields) return page("[{" .. fields .. "}]") end
local function nest(depth, open, close) return open:rep(depth) .. close:rep(depth) end

-- depth: 64 is the limit (the top-level object counts as level 1)
put("deep_arr_63_in_data", page(nest(62, "[", "]")))       -- data + 62 = 63 levels inside the object
put("deep_arr_64", nest(64, "[", "]"))
put("deep_arr_65", nest(65, "[", "]"))
put("deep_arr_100", nest(100, "[", "]"))
put("deep_arr_100000", nest(100000, "[", "]"))
put("deep_obj_64", ('{"a":'):rep(64) .. "1" .. ("}"):rep(64))
put("deep_obj_65", ('{"a":'):rep(65) .. "1" .. ("}"):rep(65))
put("deep_record_64", page("[" .. ('{"x":'):rep(62) .. "{}" .. ("}"):rep(62) .. "]"))
put("deep_record_65", page("[" .. ('{"x":'):rep(63) .. "{}" .. ("}"):rep(63) .. "]"))
put("deep_open_only_100000", ("["):rep(100000))
put("deep_mixed_unclosed", ('[{"a":'):rep(40))

-- numbers
put("num_1e400", "1e400")
put("num_neg_1e400", "-1e400")
put("num_1e-400", "1e-400")
put("num_400_digits", ("9"):rep(400))
put("num_400_digits_neg", "-" .. ("1"):rep(400))
put("num_int64_min_minus1", "-9223372036854775809")
put("num_int64_min", "-9223372036854775808")
put("num_int64_max", "9223372036854775807")
put("num_int64_max_plus1", "9223372036854775808")
put("num_uint64_max", "18446744073709551615")
put("num_2p53_plus1", "9007199254740993")
put("num_leading_zero", "0123")
put("num_minus_only", "-")
put("num_dot_only", "1.")
put("num_exp_only", "1e")
put("num_exp_sign_only", "1e+")
put("num_hex", "0x10")
put("num_plus", "+1")
put("num_nan", "NaN")
put("num_inf", "Infinity")
put("num_neg_zero", "-0")
put("num_neg_zero_float", "-0.0e-0")
put("num_long_fraction", "0." .. ("0"):rep(300) .. "1")
put("num_long_exponent", "1e" .. ("9"):rep(300))
put("rec_int_fields", rec('"create_time":1e3,"duration":100.0,"finish_time":1.5e1,"max_views_cnt":-0.0,'
  .. '"total_joins_cnt":9223372036854775807.0,"total_sale_cnt":12.5,"total_sale_gmv_amt":9007199254740993.0,'
  .. '"total_views_cnt":-9223372036854775808e0'))
put("rec_int_overflow", rec('"total_views_cnt":9223372036854775808.0,"duration":1e19,"create_time":1e400'))
put("rec_int_huge_digits", rec('"duration":' .. ("1"):rep(400) .. ',"create_time":' .. ("1"):rep(30) .. ".0"))
put("rec_int_trailing_zeros", rec('"duration":1' .. ("0"):rep(18) .. ".000e-0,\"create_time\":0." .. ("0"):rep(50)
  .. "1e51"))
put("rec_id_numbers", rec('"room_id":7275145563308362538,"seller_id":-0,"user_id":' .. ("9"):rep(400)))
put("rec_id_floats", rec('"room_id":1.5,"seller_id":1e400,"user_id":-12e2'))
put("rec_typed_non_numbers", rec('"room_id":null,"seller_id":true,"user_id":{"a":1},"duration":"12","create_time":[1]'))

-- strings and UTF-8
-- (each a JSON string of these bytes)
for _, c in ipairs{ { "overlong_c1", "\xC1\xBF" }, { "overlong_c0", "\xC0\xAF" }, { "overlong_e0", "\xE0\x80\xAF" },
  { "overlong_f0", "\xF0\x80\x80\xAF" }, { "surrogate_encoded", "\xED\xA0\x80" },
  { "surrogate_pair_encoded", "\xED\xA0\xBD\xED\xB8\x80" }, { "above_10ffff", "\xF4\x90\x80\x80" },
  { "f5", "\xF5\x80\x80\x80" } } do
  put("utf8_" .. c[1], '"' .. c[2] .. '"')
end
put("utf8_ff_fe", '"\xFF\xFE"')
put("utf8_truncated_2", '"\xC3"')
put("utf8_truncated_3", '"\xE2\x82"')
put("utf8_truncated_4", '"\xF0\x9F\x98"')
put("utf8_truncated_at_eof", '"\xF0\x9F')
put("utf8_stray_continuation", '"\x80"')
put("utf8_valid_mix", '"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"')
put("utf8_in_key", '{"k\xC3":1}')
put("utf8_bad_in_record_title", rec('"title":"ok \xFF\xFE"'))
put("esc_lone_high", '"\\uD800"')
put("esc_lone_low", '"\\uDC00"')
put("esc_pair", '"\\uD83D\\uDE00"')
put("esc_high_high", '"\\uD83D\\uD83D"')
put("esc_high_then_char", '"\\uD83Dx"')
put("esc_high_at_end", '"\\uD83D')
put("esc_high_then_partial", '"\\uD83D\\uDE"')
put("esc_high_then_bad_hex", '"\\uD83D\\uZZZZ"')
put("esc_low_then_high", '"\\uDE00\\uD83D"')
put("esc_nul", '"a\\u0000b"')
put("esc_nul_key", '{"\\u0000":1,"data":[{"\\u0000":"\\u0000"}],"code":0}')
put("esc_all", '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC"')
put("esc_bad", '"\\x41"')
put("esc_truncated", '"\\u12')
put("esc_backslash_eof", '"\\')
put("esc_upper_hex", '"\\uABCD\\uabcd\\uFFFF"')
put("str_raw_control", '"a\tb"')
put("str_raw_nul", '"a\0b"')
put("str_raw_del", '"a\127b"')
put("str_unterminated", '"abc')
put("str_long_plain", '"' .. ("abcdefgh"):rep(2000) .. '"')
put("str_long_escaped", '"' .. ("\\n\\u00e9x"):rep(2000) .. '"')
put("str_long_escaped_then_bad", '"' .. ("\\t"):rep(3000) .. '\xC0"')

-- structure
put("empty", "")
put("bom_object", "\xEF\xBB\xBF" .. page("[]"))
put("bom_only", "\xEF\xBB\xBF")
put("bom_partial", "\xEF\xBB")
put("utf16le", "\xFF\xFE{\0}\0")
put("ws_only", " \t\r\n ")
put("ws_vertical_tab", "\v{}")
put("nul_only", "\0")
put("trailing_garbage", page("[]") .. "xyz")
put("trailing_nul", page("[]") .. "\0")
put("two_values", "{} {}")
put("truncated_page", page('[{"a":1}]'):sub(1, 30))
put("truncated_after_colon", '{"code":')
put("truncated_after_comma", '{"code":0,')
put("trailing_comma_obj", '{"code":0,}')
put("trailing_comma_arr", page("[{},]"))
put("missing_colon", '{"code" 0}')
put("single_quotes", "{'code':0}")
put("unquoted_key", "{code:0}")
put("literal_partial", "tru")
put("literal_bad", "nulx")
put("literal_case", "True")
put("top_null", "null")
put("top_true", "true")
put("top_string", '"x"')
put("top_number", "0")
put("top_array", "[1,2]")
put("dup_keys", '{"code":0,"code":1,"data":[{"a":1,"a":null}],"data":[{"b":2}],"message":"x","message":null}')
put("dup_data_then_null", '{"code":0,"data":[{"a":1}],"data":null}')
put("dup_data_then_obj", '{"code":0,"data":[{"a":1}],"data":{"a":1}}')
put("dup_data_then_bad", '{"code":0,"data":[{}],"data":[1]}')
put("data_not_objects", page("[{}, 1]"))
put("data_string_elem", page('["x"]'))
put("data_null_elem", page("[null]"))
put("data_holes", '{"code":0,"data":[{"a":[1,null,3,null]}]}')
put("data_empty_obj", page("{}"))
put("data_string", page('"x"'))
put("data_bool", page("false"))
put("data_number", page("-1.5e3"))
put("code_float_zero", '{"code":0.0,"data":[]}')
put("code_neg_zero", '{"code":-0,"data":[]}')
put("code_string", '{"code":"0","data":[]}')
put("code_table", '{"code":{"x":1},"message":["m"],"requestId":5}')
put("code_missing", '{"message":"m","data":[]}')
put("message_controls", '{"code":7,"message":"a\\u0000\\r\\nb\\u001b[31m' .. ("x"):rep(400) .. '"}')
put("many_records", page("[" .. ("{},"):rep(2000) .. "{}]"))
put("many_keys", "{" .. ('"k":1,'):rep(3000) .. '"code":0,"data":[]}')
put("wide_array", "[" .. ("0,"):rep(10000) .. "0]")

io.stderr:write("gen_corpus: " .. n .. " files in " .. out .. "\n")
