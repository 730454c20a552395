-- Each file is checked against the Lua versions it runs on. The library, the
-- command, the examples, the tests and the benchmarks run on Lua 5.1-5.4 and
-- LuaJIT: "min" is what all of them have. "compat" adds the few newer fields
-- the code uses only behind a feature test (`math.type and ...`,
-- `table.unpack or unpack`), which luacheck cannot follow.
stds.compat = {
  read_globals = {
    math = { fields = { "type", "tointeger" } },
    table = { fields = { "pack", "unpack" } },
  },
}
std = "min+compat"
max_line_length = 130
-- `not (x > 0)` is deliberate throughout: it also rejects NaN.
ignore = { "581" }
files["tests"] = { std = "min+compat+busted", max_line_length = false }
-- math.maxinteger/mininteger appear only in tests tagged #int64, which
-- tests/run runs on Lua 5.3+ alone, or behind a 5.3+ test (`if math.maxinteger`,
-- `if env.INT64`).
stds.int64 = { read_globals = { math = { fields = { "maxinteger", "mininteger" } } } }
for _, f in ipairs{ "analysis", "decode", "export", "records", "options_bounds", "store", "report" } do
  files["tests/" .. f .. "_spec.lua"] = { std = "min+compat+busted+int64" }
end
-- Scripts run only by the C hosts, which embed Lua 5.4.
files["tests/c"] = { std = "lua54" }
files["examples/host"] = { std = "lua54" }
files["bench"] = { max_line_length = false }
-- Code that runs inside nginx: LuaJIT (OpenResty's lua-nginx-module).
files["sandbox/lua"] = { std = "luajit", globals = { "ngx" } }
files["examples/openresty"] = { std = "luajit", globals = { "ngx" } }
-- Code that runs inside nginx: LuaJIT (OpenResty's lua-nginx-module).
files["lua/shoplive/transport"] = { std = "luajit+compat", globals = { "ngx" } }
files["bench/openresty/ways.lua"] = { std = "luajit", globals = { "ngx" }, max_line_length = false }
-- lua-resty-http, vendored unmodified as the bench's peer: not our code.
exclude_files = { "build", "bench/lua-resty-http/lib" }
-- The command is a Lua script without the .lua suffix.
include_files = { "**/*.lua", "bin/shoplive" }
