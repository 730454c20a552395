std = "lua54"
max_line_length = 130
-- `not (x > 0)` is deliberate throughout: it also rejects NaN.
ignore = { "581" }
files["tests"] = { std = "+busted", max_line_length = false }
files["bench"] = { max_line_length = false }
files["sandbox/lua"] = { std = "luajit", globals = { "ngx" } }
files["examples/openresty"] = { std = "luajit", globals = { "ngx" } }
exclude_files = { "build" }
