-- The reference stands in the repository: no document points outside it,
-- docs/ names every option and err kind the code has (with the defaults and
-- retry rule the code applies), and `make doc` lists the public modules and
-- nothing private.
local env = require("support.env")
local read_file = require("support.files").read
local sandbox = require("support.sandbox")
local errors = require("shoplive.errors")
local options = require("shoplive.options")
local ROOT = sandbox.root
local q = env.sh_quote

-- A file of the checkout, which must exist.
local function read(path)
  return assert(read_file(ROOT .. "/" .. path), "cannot read " .. path)
end

local function sh(cmd)
  return env.sh("cd " .. q(ROOT) .. " && { " .. cmd .. "\n} 2>&1")
end

-- `make doc`'s pages written to a temp dir (gone after the test; finally:
-- busted's), and what ldoc said, which must have succeeded.
local function ldoc(finally)
  local dir = os.tmpname()
  os.remove(dir)
  finally(function() os.execute("rm -rf " .. q(dir)) end)
  local status, out = sh("ldoc -d " .. q(dir) .. " .")
  assert.equals(0, status, out)
  return dir, out
end

-- The cells of a Markdown table row after its first: "a | b |" -> { a, b }.
local function cells_of(rest)
  local cells = {}
  for cell in rest:gmatch("%s*([^|]-)%s*|") do cells[#cells + 1] = cell end
  return cells
end

-- Rows of the Markdown table whose first cell is `name`: name -> cells.
local function table_rows(text)
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    local name, rest = line:match("^| `([%w_]+)` |(.*)$")
    if name then rows[name] = rows[name] or cells_of(rest) end
  end
  return rows
end

-- The Markdown files of the documentation.
local function md_files()
  local files = { "README.md", "BENCHMARKS.md", "CHANGES.md" }
  local status, out = sh("ls docs/*.md")
  assert.equals(0, status, out)
  for f in out:gmatch("%S+") do files[#files + 1] = f end
  return files
end

-- "a/b/../c" -> "a/c"
local function normalize(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." and #parts > 0 then parts[#parts] = nil
    elseif part ~= "." then parts[#parts + 1] = part end
  end
  return table.concat(parts, "/")
end

-- The anchors GitHub gives a page's headings.
local function heading_slugs(text)
  local slugs = {}
  for title in ("\n" .. text):gmatch("\n#+ ([^\n]+)") do
    slugs[(title:lower():gsub("[^%w%s_-]", ""):gsub("%s", "-"))] = true
  end
  return slugs
end

describe("the reference", function()
  it("no tracked file points outside the repository", function()
    -- built by concatenation so that this file does not match itself
    local outside = { "../" .. "shared", "shared/" .. "API.md", "shared/" .. "spec", "/wo" .. "rk/" }
    local status, files = sh("git ls-files")
    assert.equals(0, status, files)
    local n = 0
    for file in files:gmatch("[^\n]+") do
      if file:match("%.md$") or file:match("%.lua$") or file:match("%.ld$") or file:match("%.rockspec$")
          or file == "Makefile" or file:match("^bin/") or file:match("^tests/[%w_]+$") or file:match("^tools/") then
        local text = read(file)
        n = n + 1
        for _, pat in ipairs(outside) do
          assert.is_nil(text:find(pat, 1, true), file .. " names " .. pat)
        end
      end
    end
    assert.is_true(n > 40, n .. " files read")
  end)

  it("README.md and the pages of docs/ have no empty section heading", function()
    for _, file in ipairs(md_files()) do
      local prev, fenced
      for line in (read(file) .. "\n"):gmatch("([^\n]*)\n") do
        -- a "# " line inside a fenced block is code (Prometheus text, shell
        -- comments), not a heading
        if line:match("^```") then fenced = not fenced end
        -- a heading followed by one of its own level or above ("# Page" then
        -- "## Part" is a page's title over its first part)
        local level, prev_level = line:match("^(#+) "), prev and prev:match("^(#+) ")
        if level and not fenced and prev_level and #level <= #prev_level then
          error(file .. ": empty heading: " .. prev)
        end
        if line ~= "" and not fenced and not line:match("^```") then prev = line end
      end
    end
  end)

  -- The front door: short, and install, the sandbox and a first command
  -- come first; everything else is a guide page it links to.
  it("README.md is at most 250 lines and opens with install, the sandbox and a first command", function()
    local text = read("README.md")
    local _, lines = text:gsub("\n", "")
    assert.is_true(lines <= 250, "README.md has " .. lines .. " lines")
    local sections = {}
    for title in text:gmatch("\n## ([^\n]+)") do sections[#sections + 1] = title end
    assert.matches("^Install", sections[1])
    assert.matches("sandbox", sections[2]:lower())
    assert.matches("first command", sections[2])
    local sandbox_at = assert(text:find("make sandbox", 1, true), "make sandbox")
    local first_cmd = assert(text:find("shoplive livestreams 237", 1, true), "a first command")
    assert.is_true(sandbox_at < first_cmd and first_cmd < text:find("\n## A first script", 1, true))
    assert.truthy(text:lower():find("any non-empty api key works", 1, true), "the sandbox's keys")
    for _, page in ipairs{ "library", "paging", "command-line", "store", "report", "openresty", "security",
        "testing", "options", "errors", "cli" } do
      assert.truthy(text:find("(docs/" .. page .. ".md)", 1, true), "README.md links docs/" .. page .. ".md")
    end
  end)

  -- The commands the README gives a newcomer, run as written against the
  -- suite's sandbox: the export line's key and the first command's output.
  it("README.md's first command works against the sandbox, with the key it shows", function()
    local text = read("README.md")
    local block = assert(text:match("\n```sh\n(make sandbox[^\n]*\n.-)```"), "the sandbox block")
    local key = assert(block:match("export KEYAPI_BASE_URL=%S+ KEYAPI_API_KEY=(%S+)"), block)
    local cmd = assert(block:match("\n(bin/shoplive livestreams [^#\n]-)%s*#"), block)
    local status, out = sh("KEYAPI_BASE_URL=" .. q(env.sandbox().url) .. " KEYAPI_API_KEY=" .. q(key)
      .. " SHOPLIVE_BUILD=" .. q(ROOT .. "/" .. env.BUILD) .. " " .. env.LUA .. " " .. cmd)
    assert.equals(0, status, out)
    -- the output block under it: its header and first row are what came out
    local shown = assert(text:match("```\n(room_id[^\n]*\n[^\n]*\n[^\n]*)\n"), "the output shown")
    assert.equals(shown, out:match("^([^\n]*\n[^\n]*\n[^\n]*)"))
  end)

  it("the install notes name the Lua version for luarocks, the tree's paths, the man page and the OpenResty runner",
    function()
    local text = read("README.md")
    assert.truthy(text:find("luarocks --lua-version 5.4 make", 1, true), "--lua-version 5.4 make")
    assert.truthy(text:find('eval "$(luarocks --lua-version 5.4 --tree ~/rocks path)"', 1, true), "luarocks path")
    assert.truthy(text:find("share/man/man1/shoplive.1", 1, true), "the installed man page")
    assert.truthy(text:find("examples/openresty/run", 1, true), "examples/openresty/run in README.md")
    assert.truthy(read("docs/openresty.md"):find("examples/openresty/run", 1, true), "in docs/openresty.md")
    for _, file in ipairs(md_files()) do
      local doc = read(file)
      -- `make man` writes build/<V>/shoplive.1 (the Makefile's $(BUILD))
      assert.is_nil(doc:find("build/shoplive.1", 1, true), file .. " names build/shoplive.1")
      -- luarocks builds libpq.so too when pkg-config finds libpq
      assert.is_nil(doc:find("the SQLite store only", 1, true), file .. ": the rockspec builds libpq.so too")
    end
    -- (without the BUILD a test run exports for the Lua under test)
    local _, mk = sh("unset BUILD; make -n -B man LUA=5.4")
    assert.truthy(mk:find("> build/5.4/shoplive.1.tmp", 1, true), mk)
    _, mk = sh("unset BUILD; make -n -B man LUA=5.1 LUA_BIN=lua5.1")
    assert.truthy(mk:find("> build/5.1/shoplive.1.tmp", 1, true), mk)
  end)

  it("docs/testing.md keeps the reliability table whole", function()
    local text = read("docs/testing.md")
    local rows = 0
    for _ in text:match("\n## Reliability\n(.-)\n\n[^|]"):gmatch("\n| [^-]") do rows = rows + 1 end
    -- the header row, the 24 checks the README had, the 13 rows of the
    -- 2026-12-06 branches (store and sync, stalled databases, the queue at
    -- 1M shops, the CLI, interrupt, metrics) and the 7 of the limiter,
    -- report and OpenResty transport branches
    assert.is_true(rows >= 45, rows .. " rows")
    for _, check in ipairs{ "busted suite (Lua 5.4)", "the same suite with an ASan + UBSan build",
        "the same suite under valgrind memcheck", "libFuzzer on the response path", "fault injection",
        "HTTP/2 and TLS reuse", "TLS (", "allocation failure", "threads", "repeated full page",
        "200 with a broken body", "page longer than page_size", "8 MB of `{}` records", "one bad field",
        "1xx then silence", "1 MiB / 80 KB response header", "429 storm, then a healthy server",
        "Redis limiter outage and password", "secrets", "option bounds", "lifetimes", "CLI output under failure",
        "Ctrl-C", "hostile strings and values" } do
      assert.truthy(text:find("\n| " .. check, 1, true), check)
    end
  end)

  -- What GitHub shows: every relative link of a Markdown file names a file
  -- of the checkout, and every #fragment a heading of the page it names.
  it("every relative link in README.md, docs/ and BENCHMARKS.md resolves", function()
    local n = 0
    for _, file in ipairs(md_files()) do
      local dir = file:match("^(.*)/[^/]*$") or "."
      local text = read(file):gsub("\n```.-\n```", "")
      for target in text:gmatch("%]%(([^)%s]+)%)") do
        if not target:match("^%a[%w+.-]*:") then
          n = n + 1
          local path, fragment = target:match("^([^#]*)#?(.*)$")
          path = path == "" and file or normalize(dir .. "/" .. path)
          local linked = read_file(ROOT .. "/" .. path)
          assert.truthy(linked, file .. ": " .. target .. " names no file")
          if fragment ~= "" then
            assert.truthy(heading_slugs(linked)[fragment], file .. ": " .. target .. " names no heading")
          end
        end
      end
    end
    assert.is_true(n > 40, n .. " links")
  end)

  it("docs/options.md documents every new{} option, with the default the code applies", function()
    local ok, msg = pcall(options.check, { api_key = "k", no_such_option = 1 }, function() return nil end)
    assert.is_false(ok)
    local accepted = assert(msg:match("accepted: ([^)]+)"), msg)
    local rows = table_rows(read("docs/options.md"))
    local defaults = options.check({ api_key = "k" }, function() return nil end)
    local n = 0
    for name in accepted:gmatch("[%w_]+") do
      n = n + 1
      local row = rows[name]
      assert.truthy(row, "docs/options.md has no row for " .. name)
      local d = defaults[name]
      if type(d) == "number" then
        assert.truthy(row[2]:find("^" .. tostring(d):gsub("%p", "%%%0") .. "%f[^%d.]"), name .. " default " .. d .. ": " .. row[2])
      elseif type(d) == "string" and name ~= "api_key" then
        assert.truthy(row[2]:find('"' .. d .. '"', 1, true), name .. " default " .. d)
      end
    end
    assert.is_true(n >= 18, accepted)
  end)

  it("docs/errors.md documents every err kind the code makes, with its retry rule", function()
    local kinds = {}
    local status, out = sh("cat lua/shoplive/*.lua")
    assert.equals(0, status, out)
    for k in out:gmatch('new{%s*kind = "([%w_]+)"') do kinds[k] = true end -- errors.new{ kind = ... }
    for k in out:gmatch('%[%d+%] = "([%w_]+)"') do kinds[k] = true end -- the status -> kind table
    -- the status and libcurl-code classifiers of response.lua return kinds
    for k in read("lua/shoplive/response.lua"):gmatch('return "([%w_]+)"') do kinds[k] = true end
    local rows = table_rows(read("docs/errors.md"))
    local n = 0
    for kind in pairs(kinds) do
      n = n + 1
      local row = rows[kind]
      assert.truthy(row, "docs/errors.md has no row for kind " .. kind)
      local retried = errors.new{ kind = kind, message = "x" }.retryable
      assert.equals(retried and "yes" or "no", row[2], kind)
    end
    assert.is_true(n >= 13, n .. " kinds found")
    -- the err's fields, each in the fields table
    for _, field in ipairs{ "kind", "message", "retryable", "attempts", "status", "code", "request_id",
        "retry_after", "curl_code", "records", "page", "report" } do
      assert.truthy(rows[field], "docs/errors.md has no row for field " .. field)
    end
  end)

  it("make doc lists every public module and nothing private #novalgrind", function()
    local dir, out = ldoc(finally)
    for line in out:gmatch("[^\n]+") do
      assert.truthy(line:match("^reading configuration") or line:match("^output written"), "ldoc said: " .. line)
    end
    local _, ls = sh("ls " .. q(dir .. "/modules") .. " " .. q(dir .. "/topics"))
    for _, page in ipairs{ "shoplive.html", "shoplive.client.html", "shoplive.request.html",
        "shoplive.errors.html", "shoplive.sort.html", "shoplive.analysis.html", "shoplive.export.html",
        "shoplive.store.html", "shoplive.limiter.html", "shoplive.schema.html",
        "README.md.html", "options.md.html", "errors.md.html", "cli.md.html",
        "shoplive.metrics.html", "metrics.md.html" } do
      assert.truthy(ls:find(page, 1, true), page .. " missing from:\n" .. ls)
    end
    local _, html = sh("cat " .. q(dir) .. "/index.html " .. q(dir) .. "/modules/*.html")
    for _, public in ipairs{ "livestreams_many", "each_livestream", "all_livestreams", "stats", "is_err",
        "csv_writer", "summarize", "group_by", "decode", "report_file", "shared_dict", "MAX_PAGE_SIZE" } do
      assert.truthy(html:find(public, 1, true), public)
    end
    for _, private in ipairs{ "_pump", "_enqueue", "_run_until", "_observed_rate", "_send", "_complete",
        "from_transfer", "page_from_resp", "parse_keys", "format_number", "encode_value", "cached_page",
        "save_page", "default_path", "on_rate_limited" } do
      assert.is_nil(html:find(private, 1, true), private)
    end
    -- no underscore-named (internal) function anywhere: "Client:_x", "M._x"
    for name in html:gmatch('<td class="name" nowrap><a href="#([^"]+)"') do
      assert.is_nil(name:match("[:.]_%a"), name .. " is internal (add -- @local to its comment)")
    end
    -- the internal modules have no page
    for _, internal in ipairs{ "paging", "options", "query", "retry", "util", "argcheck", "sync",
        "textable", "cli" } do
      assert.is_nil(ls:find("shoplive." .. internal .. ".html", 1, true), internal)
    end
  end)

  -- The public functions of the modules make doc reads: each documented
  -- function (a --- comment without @local right above `function name(...)`)
  -- names every argument with @tparam/@param, says what it returns and
  -- shows an example.
  it("every public function has @tparam for each argument, @treturn and @usage", function()
    local files = {}
    for f in read("config.ld"):gmatch('"(lua/shoplive/[%w_/]+%.lua)"') do files[#files + 1] = f end
    assert.is_true(#files >= 10, #files .. " files in config.ld")
    local returns_nothing = { close = true } -- client:close(), store:close()
    local n = 0
    for _, file in ipairs(files) do
      local block, doc = {}, false
      local ln = 0
      for line in (read(file) .. "\n"):gmatch("([^\n]*)\n") do
        ln = ln + 1
        if line:match("^%s*%-%-%-") and not line:match("^%s*%-%-%-%-") then
          block, doc = { line }, true
        elseif doc and line:match("^%s*%-%-") then
          block[#block + 1] = line
        else
          local name, params = line:match("^function ([%w_.:]+)%(([^)]*)%)")
          if doc and name and not name:match("[.:]_") then
            local text = table.concat(block, "\n")
            if not text:find("@local", 1, true) then
              n = n + 1
              local where = file .. ":" .. ln .. " " .. name
              assert.truthy(text:find("@usage", 1, true), where .. " has no @usage")
              local short = name:match("[%w_]+$")
              if not returns_nothing[short] then
                assert.truthy(text:find("@t?return"), where .. " has no @treturn/@return")
              end
              for p in params:gmatch("[%w_]+") do
                assert.truthy(text:find("@t?param%b[] [^\n]- " .. p .. "%f[^%w_]")
                  or text:find("@t?param [^\n]-" .. p .. "%f[^%w_]"), where .. " has no @tparam for " .. p)
              end
            end
          end
          block, doc = {}, false
        end
      end
    end
    assert.is_true(n >= 35, n .. " public functions checked")
  end)

  it("make doc documents the fields of a page, an err, stats() and a summary #novalgrind", function()
    local dir = ldoc(finally)
    local pages = {
      ["shoplive.client"] = {
        page = { "records", "page", "page_size", "request_id", "has_more", "cached", "fetched_at", "repaired",
          "store_err", "duplicates" },
        stats = { "requests", "credits", "retries", "bytes", "cache_hits", "errors", "latency", "limiter" },
      },
      ["shoplive.errors"] = { err = { "kind", "message", "retryable", "attempts", "status", "code", "request_id",
        "retry_after", "curl_code", "records", "page", "report" } },
      ["shoplive.analysis"] = { summary = { "count", "total_views", "total_sales", "total_gmv", "total_duration",
        "mean_views", "mean_sales", "mean_gmv", "hours_live", "gmv_per_hour", "sales_per_1000_views", "best",
        "first_start", "last_start" } },
    }
    for module, tables in pairs(pages) do
      local _, html = sh("cat " .. q(dir .. "/modules/" .. module .. ".html"))
      for tname, fields in pairs(tables) do
        -- the table's entry, up to the next entry
        local entry = html:match('<a name = "' .. tname .. '"></a>(.-)</dd>')
        assert.truthy(entry, module .. " has no table " .. tname)
        for _, f in ipairs(fields) do
          assert.truthy(entry:find('<span class="parameter">' .. f .. '</span>', 1, true),
            module .. "." .. tname .. " has no field " .. f)
        end
      end
    end
    -- the err kinds in the err table are those errors.md lists
    local _, html = sh("cat " .. q(dir .. "/modules/shoplive.errors.html"))
    local rows = table_rows(read("docs/errors.md"))
    for _, kind in ipairs{ "auth", "quota", "rate_limited", "bad_request", "server", "http", "api", "decode",
        "timeout", "transport", "too_large", "budget", "repeated_page", "store", "cancelled" } do
      assert.truthy(rows[kind], "errors.md: " .. kind)
      -- (LDoc links a name that is also a module's: `store`)
      assert.truthy(html:find("<code>" .. kind .. "</code>", 1, true) or html:find(">" .. kind .. "</a>", 1, true),
        "err table: " .. kind)
    end
  end)

  -- docs/cli.md against the parser the command runs (cli/parser.lua, sync
  -- and queue included): every command has a section, every option
  -- of the command a row with the parser's default, and no row names an
  -- option the command lacks.
  it("docs/cli.md names every command and option of the parser, with its default", function()
    local parser = require("shoplive.cli.parser")
    local p, commands = parser.build()
    local doc = read("docs/cli.md")
    local top = p:get_help()
    local n = 0
    local names = {}
    for line in top:match("Commands:\n(.-)\n\n"):gmatch("[^\n]+") do
      names[#names + 1] = line:match("^   ([%w_-]+)")
    end
    for _, name in ipairs(names) do
      n = n + 1
      assert.truthy(commands[name], "command " .. name)
      local section = doc:match("\n### `shoplive " .. name:gsub("%p", "%%%0") .. "`\n(.-)\n##")
        or doc:match("\n### `shoplive " .. name:gsub("%p", "%%%0") .. "`\n(.*)$")
      assert.truthy(section, "docs/cli.md has no section for " .. name)
      local rows = {}
      for line in section:gmatch("[^\n]+") do
        local opt_names, rest = line:match("^| (`%-[^|]-) |(.*)$")
        if opt_names then
          local cells = cells_of(rest)
          for opt in opt_names:gmatch("`(%-[%w-]+)`") do rows[opt] = cells end
        end
      end
      local help = commands[name]:get_help()
      local opts = help:match("\nOptions:\n(.*)$") or ""
      -- one entry per option: its line and the indented lines it wraps onto
      local entries = {}
      for line in opts:gmatch("[^\n]+") do
        if line:match("^   %-") then entries[#entries + 1] = line
        elseif line:match("^     ") and #entries > 0 then
          -- a wrapped alias ("         -o <FILE>") keeps its comma form
          local alias = line:match("^%s+(%-%-?[%w-]+)")
          entries[#entries] = entries[#entries] .. (alias and (", " .. alias) or "") .. " " .. line
        end
      end
      local seen = {}
      for _, entry in ipairs(entries) do
        local first = entry:match("^   (%-%-?[%w-]+)")
        if first ~= "-h" then
          seen[first] = true
          local row = rows[first]
          assert.truthy(row, "docs/cli.md: " .. name .. " has no row for " .. first)
          for alias in entry:gmatch(",%s+(%-%-?[%w-]+)") do
            seen[alias] = true
            assert.truthy(rows[alias], "docs/cli.md: " .. name .. " has no " .. alias)
          end
          local default = entry:match("%(default: ([^)]+)%)")
          if default then
            assert.truthy(row[2]:find(default, 1, true) == 1,
              name .. " " .. first .. ": default " .. default .. " but docs/cli.md says " .. row[2])
          end
        end
      end
      for opt in pairs(rows) do
        assert.truthy(seen[opt], "docs/cli.md names " .. opt .. " for " .. name .. ", which the parser lacks")
      end
    end
    assert.is_true(n >= 5, n .. " commands")
    -- the exit statuses the help states are the ones cli.md's table gives
    local statuses = {}
    for code in (doc:match("\n## Exit status\n(.*)$") or ""):gmatch("\n| (%d+) |") do statuses[code] = true end
    for code in parser.EPILOG:gmatch("(%d+) [%a(]") do
      assert.truthy(statuses[code], "docs/cli.md has no exit status " .. code)
    end
  end)
end)
