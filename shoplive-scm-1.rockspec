rockspec_format = "3.0"
package = "shoplive"
version = "scm-1"
source = {
  url = "git+https://github.com/shoplive/shoplive.git",
}
description = {
  summary = "TikTok Shop livestream analytics (keyapi) for Lua: a libcurl C core with exact int64 records",
  detailed = [[
shoplive fetches TikTok Shop livestream records from keyapi's
GET /v1/tiktok/shop/livestreams/analytics as typed Lua tables (exact int64
integers), with retries, rate limiting, pagination iterators, concurrent and
non-blocking requests, analysis helpers, CSV/JSON exports and a command line
tool.]],
  license = "MIT",
  labels = { "http", "api", "tiktok", "curl" },
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
  "argparse",
}
-- Only the library is checked: Debian keeps curl/curl.h under the multiarch
-- include directory, which the compiler searches but LuaRocks 3.8 does not.
external_dependencies = {
  CURL = { library = "curl" },
  SQLITE3 = { header = "sqlite3.h", library = "sqlite3" },
}
build = {
  type = "builtin",
  modules = {
    ["shoplive.core"] = {
      sources = { "src/buf.c", "src/clisys.c", "src/core.c", "src/decode_lua.c", "src/http.c", "src/json.c", "src/sys.c" },
      defines = { "_POSIX_C_SOURCE=200809L" },
      libraries = { "curl" },
      incdirs = { "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
    },
    -- The store's SQLite binding (required). The PostgreSQL binding
    -- (src/db/libpq.c) is optional and built by `make` when libpq is found;
    -- LuaRocks installs the SQLite store only.
    ["shoplive.sqlite3"] = {
      sources = { "src/db/sqlite3.c" },
      libraries = { "sqlite3" },
      incdirs = { "$(SQLITE3_INCDIR)" },
      libdirs = { "$(SQLITE3_LIBDIR)" },
    },
    ["shoplive"] = "lua/shoplive/init.lua",
    ["shoplive.analysis"] = "lua/shoplive/analysis.lua",
    ["shoplive.argcheck"] = "lua/shoplive/argcheck.lua",
    ["shoplive.cli"] = "lua/shoplive/cli.lua",
    ["shoplive.cli.sync"] = "lua/shoplive/cli/sync.lua",
    ["shoplive.cli.dryrun"] = "lua/shoplive/cli/dryrun.lua",
    ["shoplive.cli.formats"] = "lua/shoplive/cli/formats.lua",
    ["shoplive.cli.parser"] = "lua/shoplive/cli/parser.lua",
    ["shoplive.cli.sink"] = "lua/shoplive/cli/sink.lua",
    ["shoplive.client"] = "lua/shoplive/client.lua",
    ["shoplive.errors"] = "lua/shoplive/errors.lua",
    ["shoplive.export"] = "lua/shoplive/export.lua",
    ["shoplive.limiter"] = "lua/shoplive/limiter.lua",
    ["shoplive.limiter.adapt"] = "lua/shoplive/limiter/adapt.lua",
    ["shoplive.limiter.redis"] = "lua/shoplive/limiter/redis.lua",
    ["shoplive.limiter.redis_script"] = "lua/shoplive/limiter/redis_script.lua",
    ["shoplive.limiter.shared_dict"] = "lua/shoplive/limiter/shared_dict.lua",
    ["shoplive.options"] = "lua/shoplive/options.lua",
    ["shoplive.paging"] = "lua/shoplive/paging.lua",
    ["shoplive.query"] = "lua/shoplive/query.lua",
    ["shoplive.request"] = "lua/shoplive/request.lua",
    ["shoplive.retry"] = "lua/shoplive/retry.lua",
    ["shoplive.schema"] = "lua/shoplive/schema.lua",
    ["shoplive.sort"] = "lua/shoplive/sort.lua",
    ["shoplive.store"] = "lua/shoplive/store.lua",
    ["shoplive.store.postgres"] = "lua/shoplive/store/postgres.lua",
    ["shoplive.store.schema"] = "lua/shoplive/store/schema.lua",
    ["shoplive.store.sqlite"] = "lua/shoplive/store/sqlite.lua",
    ["shoplive.sync"] = "lua/shoplive/sync.lua",
    ["shoplive.textable"] = "lua/shoplive/textable.lua",
    ["shoplive.util"] = "lua/shoplive/util.lua",
  },
  install = {
    bin = { shoplive = "bin/shoplive" },
  },
}
test_dependencies = { "busted" }
test = { type = "command", command = "make test" }
