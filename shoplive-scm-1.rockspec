rockspec_format = "3.0"
package = "shoplive"
version = "scm-1"
source = {
  -- PLACEHOLDER: the project has no public home yet, and this URL (under the
  -- reserved .invalid domain) names none. Install from a checkout
  -- (`luarocks --lua-version 5.4 make`) or from the source rock of
  -- `make dist`, which carries its own sources.
  url = "git+https://placeholder.invalid/shoplive.git",
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
  -- the command line; lua-cjson is optional (cjson.null is recognised when it
  -- is installed, through pcall(require, "cjson"))
  "argparse",
}
-- Only the library is checked: Debian keeps curl/curl.h under the multiarch
-- include directory, which the compiler searches but LuaRocks 3.8 does not.
external_dependencies = {
  CURL = { library = "curl" },
  SQLITE3 = { header = "sqlite3.h", library = "sqlite3" },
}
-- The Makefile builds the core (src/*.c), the command line's OS helpers
-- (src/clisys.c: shoplive.clisys, loaded by the command only) and the store's
-- database bindings (src/db/: SQLite always, PostgreSQL when pkg-config finds libpq) in a
-- temporary directory and installs them with lua/shoplive/**.lua (target
-- rock-install), so the checkout keeps no object file.
build = {
  type = "make",
  build_pass = false,
  install_target = "rock-install",
  install_variables = {
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
    LUA_CFLAGS = "-I$(LUA_INCDIR)",
    CURL_LIBS = "-L$(CURL_LIBDIR) -lcurl",
    SQLITE_CFLAGS = "-I$(SQLITE3_INCDIR)",
    SQLITE_LIBS = "-L$(SQLITE3_LIBDIR) -lsqlite3",
    CFLAGS = "$(CFLAGS)",
  },
  install = {
    bin = { shoplive = "bin/shoplive" },
  },
}
test_dependencies = { "busted" }
-- busted runs under the Lua that --lua-version picks; .busted finds the core
-- that version's build (build/<V>) or this tree installed, and starts a
-- sandbox server of its own.
test = { type = "busted" }
