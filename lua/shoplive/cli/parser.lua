--- The command line's commands and options, written once as data: the
-- argparse parser, `shoplive completion bash|zsh|fish` (argparse's own
-- generators) and the man page (`make man`) are all built from this table,
-- so they cannot disagree.
local argparse = require("argparse")
local formats = require("shoplive.cli.formats")
local schema = require("shoplive.schema")

local M = {}

M.MAX_LIMIT = schema.MAX_PAGE * schema.MAX_PAGE_SIZE
M.SHELLS = { "bash", "zsh", "fish" }
local ALIASES = formats.ALIAS_NAMES -- views, sales, gmv
local ORDERS = {} -- asc, desc
for o in pairs(schema.ORDERS) do ORDERS[#ORDERS + 1] = o end
table.sort(ORDERS)

-- Options shared by the fetching commands. { flags, help, default, choices,
-- flag = true for options without a value, value = metavar }.
local FETCH = {
  { "--from", "Read more seller ids from FILE ('-' = standard input): one per line, '#' starts a comment.",
    value = "FILE" },
  { "--sort", "Sort by " .. table.concat(ALIASES, ", ", 1, #ALIASES - 1) .. " or " .. ALIASES[#ALIASES] .. ".",
    choices = ALIASES },
  { "--order", "Sort order.", choices = ORDERS },
  { "--page", "First page (1.." .. schema.MAX_PAGE .. ").", "1", value = "N" },
  { "--pages", "Fetch at most N pages per shop (1.." .. schema.MAX_PAGE .. ").", value = "N" },
  { "--limit", "Stop after N records per shop (1.." .. M.MAX_LIMIT .. ").", value = "N" },
  { "--page-size", "Records per page (1.." .. schema.MAX_PAGE_SIZE .. ").", tostring(schema.DEFAULT_PAGE_SIZE),
    value = "N" },
  { "--concurrency", "Pages in flight at once (1.." .. schema.MAX_CONCURRENCY .. ").",
    tostring(schema.DEFAULT_CONCURRENCY_PAGING), value = "N" },
  { "--output -o", "Write to FILE (through a temporary file renamed into place when complete).", value = "FILE" },
  { "--dry-run", "Print the requests that would be sent and their credit cost; send nothing.", flag = true },
  { "--quiet -q", "No progress line and no closing summary line on stderr.", flag = true },
  { "--verbose -v", "One line per shop on stderr (pages, records, credits).", flag = true },
  { "--debug", "libcurl's protocol trace on stderr (the API key redacted).", flag = true },
  -- the store (cli/store_opts.lua)
  { "--db", "Read through the page cache of this store: a SQLite file or a postgresql:// URL "
    .. "(default $SHOPLIVE_DB, else $XDG_DATA_HOME/shoplive/shoplive.db).", value = "PATH|URL" },
  { "--offline", "Answer from the store alone: no key needed, no request sent.", flag = true },
}

M.COMMANDS = {
  { name = "livestreams", help = "List the livestreams of one or more shops.", options = {
    { "--format -f", "Output format.", "table", choices = { "table", "csv", "json", "ndjson" } },
    { "--fields", "Columns for csv and table: field names of the spec or "
      .. table.concat(ALIASES, ", ") .. ", comma-separated.",
      value = "LIST" },
    { "--no-header", "csv and table: leave out the header line.", flag = true },
    { "--csv-raw", "csv: write cells as they are (no ' before =, +, -, @, TAB, CR).", flag = true },
  } },
  { name = "summary", help = "Summary figures for each shop's livestreams.", options = {
    { "--format -f", "Output format (json: one object per shop and line).", "text", choices = { "text", "json" } },
  } },
  { name = "report", help = "An HTML report (charts, figures per shop) of the shops' livestreams, written to "
    .. "--output (default report.html).", options = require("shoplive.cli.report_opts") },
  -- the store's commands (cli/store_opts.lua, cli/queue_cmd.lua): their own arguments
  -- and options only (own = true), none of the fetch options
  { name = "sync", own = true, help = "Fetch whole shops into the store; a re-run pays only for pages it lacks.",
    args = { { "seller_ids", "Shop ids (digits); more with --from.", "*" } }, options = {
    { "--from", "Read shop ids from FILE ('-' = standard input), one per line, # comments.", value = "FILE" },
    { "--db", "The store: a SQLite file or a postgresql:// URL (default $SHOPLIVE_DB, else "
      .. "$XDG_DATA_HOME/shoplive/shoplive.db).", value = "PATH|URL" },
    { "--ttl", "Pages fetched within this many seconds are not fetched again.", "86400", value = "SECONDS" },
    { "--max-credits", "Stop after spending N credits.", value = "N" },
    { "--concurrency", "Shops synced at once (1..64).", "4", value = "N" },
    { "--sort", "Sort by " .. table.concat(ALIASES, ", ", 1, #ALIASES - 1) .. " or " .. ALIASES[#ALIASES] .. ".",
      choices = ALIASES },
    { "--order", "Sort order.", choices = ORDERS },
    { "--dry-run", "Print what the sync would cost given what the store holds; send nothing.", flag = true },
    { "--quiet -q", "No progress line on stderr.", flag = true },
    { "--verbose -v", "One line per shop on stderr once the sync ends (pages, of which cache hits).", flag = true },
    { "--queue", "Take the shops from this queue of a PostgreSQL store, shared with every other worker "
      .. "(see shoplive queue).", value = "NAME" },
    { "--enqueue", "With --queue: first add the shops given (arguments, --from) to the queue.", flag = true },
    { "--lease", "With --queue: a claimed shop goes back to the queue this long after its worker stops renewing "
      .. "its claim (a worker killed mid-shop).", "120", value = "SECONDS" },
  } },
  { name = "queue", own = true, help = "The shared queue of a PostgreSQL store: its state, or add shops to it.",
    args = { { "action", "status: pending, claimed (by whom, since when), done and failed shops; add: queue shops.",
      choices = { "status", "add" } }, { "seller_ids", "Shop ids to add (digits); more with --from.", "*" } },
    synopsis = "status|add", options = {
    { "--db", "The store: a postgresql:// URL (default $SHOPLIVE_DB).", value = "URL" },
    { "--queue", "The queue's name.", value = "NAME" },
    { "--from", "add: read shop ids from FILE ('-' = standard input), one per line, # comments.", value = "FILE" },
  } },
}

M.DESCRIPTION = "TikTok Shop livestream analytics from keyapi (1 credit per page)."
M.EPILOG = "Reads KEYAPI_API_KEY and KEYAPI_BASE_URL from the environment. Exit status: 0 done, "
  .. "1 the API, the network or the output failed (partial output is kept, see README), 2 bad usage, "
  .. "130 interrupted (Ctrl-C)."

local function add_option(cmd, o)
  local opt
  if o.flag then
    opt = cmd:flag(o[1], o[2])
  else
    opt = cmd:option(o[1], o[2], o[3])
    if o.choices then opt:choices(o.choices) end
    if o.value then opt:argname("<" .. o.value .. ">") end
  end
  return opt
end

-- Every option name that takes a value, of any command.
local function value_options()
  local set = {}
  local function add(option)
    if option.flag then return end
    for n in option[1]:gmatch("%S+") do set[n] = true end
  end
  for _, option in ipairs(FETCH) do add(option) end
  for _, command in ipairs(M.COMMANDS) do
    for _, option in ipairs(command.options) do add(option) end
  end
  return set
end

--- argv with "--tz -05:00" written "--tz=-05:00": argparse takes a value
-- that starts with '-' for an option ("unknown option '-0'"), so a value
-- that starts with "-" and a digit (an offset, a negative number that the
-- option's own check then refuses by name) is joined to its option.
function M.join_values(argv)
  local takes, out, i = value_options(), {}, 1
  while i <= #argv do
    local arg, nxt = argv[i], argv[i + 1]
    if takes[arg] and type(nxt) == "string" and nxt:find("^%-%d") then
      out[#out + 1] = arg:find("^%-%-") and (arg .. "=" .. nxt) or (arg .. nxt)
      i = i + 2
    else
      out[#out + 1] = arg
      i = i + 1
    end
    if arg == "--" then
      for j = i, #argv do out[#out + 1] = argv[j] end
      break
    end
  end
  return out
end

--- The argparse parser and its commands by name.
function M.build()
  local argparser = argparse("shoplive", M.DESCRIPTION):epilog(M.EPILOG)
  argparser:command_target("command")
  argparser:require_command(false)
  argparser:flag("--version", "Print the version and exit.")
  local commands = {}
  for _, spec in ipairs(M.COMMANDS) do
    local cmd = argparser:command(spec.name, spec.help)
    for _, arg_spec in ipairs(spec.args or { { "seller_id", "Shop ids (digits); more with --from.", "*" } }) do
      local arg = cmd:argument(arg_spec[1], arg_spec[2])
      if arg_spec[3] then arg:args(arg_spec[3]) end
      if arg_spec.choices then arg:choices(arg_spec.choices) end
    end
    if not spec.own then
      for _, option in ipairs(FETCH) do add_option(cmd, option) end
    end
    for _, option in ipairs(spec.options) do add_option(cmd, option) end
    commands[spec.name] = cmd
  end
  local comp = argparser:command("completion", "Print a shell completion script (bash, zsh or fish).")
  comp:argument("shell", "bash, zsh or fish."):choices(M.SHELLS)
  commands.completion = comp
  return argparser, commands
end

-- Every option of a command, shared ones first.
local function options_of(c)
  local out = {}
  if not c.own then
    for _, o in ipairs(FETCH) do out[#out + 1] = o end
  end
  for _, o in ipairs(c.options) do out[#out + 1] = o end
  return out
end

local function names_of(o)
  local t = {}
  for n in o[1]:gmatch("%S+") do t[#t + 1] = n end
  return t
end

--- A completion script for shell ("bash", "zsh" or "fish"): argparse's own
-- generators, run on the parser that --help comes from.
function M.completion(shell)
  local argparser = M.build()
  if shell == "zsh" then return argparser:get_zsh_complete() end
  if shell == "fish" then return argparser:get_fish_complete() end
  return argparser:get_bash_complete()
end

local function roff(s)
  s = s:gsub("\\", "\\e"):gsub("%-", "\\-")
  if s:find("^[.']") then s = "\\&" .. s end
  return s
end

local function append(out, ...)
  for i = 1, select("#", ...) do out[#out + 1] = select(i, ...) end
end

--- The man page (troff, man macros) from the same definitions.
function M.man(version)
  local out = {
    '.TH SHOPLIVE 1 "" "shoplive ' .. version .. '" "User Commands"',
    ".SH NAME", "shoplive \\- " .. roff(M.DESCRIPTION),
    ".SH SYNOPSIS",
  }
  for _, c in ipairs(M.COMMANDS) do
    out[#out + 1] = ".B shoplive " .. c.name
    if c.synopsis then out[#out + 1] = ".I " .. c.synopsis end
    out[#out + 1] = ".RI [ SELLER_ID ...] [ options ]"
    out[#out + 1] = ".br"
  end
  append(out, ".B shoplive completion", ".I bash|zsh|fish", ".br", ".B shoplive \\-\\-version",
    ".SH DESCRIPTION", roff(M.EPILOG))
  for _, c in ipairs(M.COMMANDS) do
    out[#out + 1] = ".SH " .. c.name:upper()
    out[#out + 1] = roff(c.help)
    for _, o in ipairs(options_of(c)) do
      out[#out + 1] = ".TP"
      local ns = names_of(o)
      for i, n in ipairs(ns) do ns[i] = "\\fB" .. roff(n) .. "\\fR" end
      out[#out + 1] = table.concat(ns, ", ") .. (o.value and (" \\fI" .. o.value .. "\\fR") or "")
        .. (o.choices and (" \\fI" .. table.concat(o.choices, "|") .. "\\fR") or "")
      out[#out + 1] = roff(o[2]) .. (o[3] and (" Default: " .. roff(o[3]) .. ".") or "")
    end
  end
  append(out, ".SH COMPLETION", "source <(shoplive completion bash)", ".SH ENVIRONMENT",
    ".TP", ".B KEYAPI_API_KEY", "The API key (required unless \\-\\-dry\\-run).",
    ".TP", ".B KEYAPI_BASE_URL", "The API's base URL.")
  return table.concat(out, "\n") .. "\n"
end

return M
