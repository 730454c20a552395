std = "lua54"
max_line_length = 130
files["tests"] = { std = "+busted" }
files["sandbox/lua"] = { std = "luajit", globals = { "ngx" } }
files["examples/openresty"] = { std = "luajit", globals = { "ngx" } }
exclude_files = { "build" }
