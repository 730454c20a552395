--- `shoplive report SELLER_ID... [--from FILE|-] [--output FILE] [--title T]
-- [--tz Z] [--sort views|sales|gmv] [--order asc|desc] [--limit N]`: fetches
-- every shop's livestreams and writes the HTML report (shoplive.report).
-- cli.lua registers the command (add) and calls run(args, env) -> exit status:
-- 0 written, 1 the API, the network or the file failed, 2 bad usage.
local M = {}

--- Define the command on an argparse parser; returns it.
function M.add(parser)
  local c = parser:command("report", "Write an HTML report (charts, per-shop figures) of shops' livestreams.")
  c:argument("seller_id", "Shop ids (digits)."):args("*")
  c:option("--from", "Read more shop ids from FILE, one a line ('-' = standard input; # starts a comment).")
  c:option("--output -o", "The HTML file to write.", "report.html")
  c:option("--title", "The report's title.")
  c:option("--tz", "Time zone of the report: UTC or an offset like +07:00.", "UTC")
  c:option("--sort", "Fetch in this order (with --limit: the best N)."):choices{ "views", "sales", "gmv" }
  c:option("--order", "Sort order."):choices{ "asc", "desc" }
  c:option("--limit", "At most N livestreams per shop.")
  c:option("--top", "Livestreams in the top table per region.", "10")
  c:option("--concurrency", "Pages in flight at once per shop (1..64).", "1")
  return c
end

local function usage(msg)
  return nil, msg
end

local function positive_int(v, name, max)
  if v == nil then return true end
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < 1 or (max and n > max) then
    return usage("option '" .. name .. "' must be an integer from 1" .. (max and (" to " .. max) or " up")
      .. ", got '" .. tostring(v) .. "'")
  end
  return math.tointeger and math.tointeger(n) or n
end

-- Seller ids from the arguments, then --from; duplicates dropped.
local function seller_ids(args, env)
  local ids, seen = {}, {}
  local function add(id, where)
    if not id:find("^%d+$") or #id > 64 then
      return usage("SELLER_ID must be digits, got '" .. id .. "'" .. (where or ""))
    end
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
    return true
  end
  for _, id in ipairs(args.seller_id or {}) do
    local ok, msg = add(id)
    if not ok then return nil, msg end
  end
  if args.from then
    local f, ferr
    if args.from == "-" then f = env.stdin or io.stdin else f, ferr = io.open(args.from, "rb") end
    if not f then return nil, "cannot read --from: " .. tostring(ferr), 1 end
    local n = 0
    for line in f:lines() do
      n = n + 1
      local id = line:gsub("#.*$", ""):match("^%s*(.-)%s*$")
      if id ~= "" then
        local ok, msg = add(id, " on line " .. n .. " of " .. args.from)
        if not ok then
          if f ~= (env.stdin or io.stdin) then f:close() end
          return nil, msg
        end
      end
    end
    if f ~= (env.stdin or io.stdin) then f:close() end
  end
  if #ids == 0 then return usage("no SELLER_ID given (as arguments or with --from)") end
  return ids
end

-- Write `doc` next to `path` and rename it into place: a failure leaves no
-- half-written report behind.
local function write_file(path, doc)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(doc)
  local cok, cerr = f:close()
  if not ok or not cok then
    os.remove(tmp)
    return nil, werr or cerr
  end
  local rok, rerr = os.rename(tmp, path)
  if not rok then
    os.remove(tmp)
    return nil, rerr
  end
  return true
end

--- Run the command. args: argparse's result; env: stdout, stderr, getenv,
-- isatty (as cli.main gives them). Returns the exit status, or nil and a
-- usage message (exit status 2: cli.main prints the usage text with it).
function M.run(args, env)
  local shoplive = require("shoplive")
  local figures = require("shoplive.report.figures")
  local ids, msg, status = seller_ids(args, env)
  if not ids then
    if status then
      env.stderr:write("shoplive: ", msg, "\n")
      return status
    end
    return nil, msg
  end
  local tz_ok, tz_msg = figures.parse_tz(args.tz)
  if not tz_ok then return nil, "option '--tz' " .. tz_msg end
  local limit, lmsg = positive_int(args.limit, "--limit")
  if not limit then return nil, lmsg end
  local top, tmsg = positive_int(args.top, "--top")
  if not top then return nil, tmsg end
  local conc, cmsg = positive_int(args.concurrency, "--concurrency", 64)
  if not conc then return nil, cmsg end
  if limit == true then limit = nil end
  if conc == true then conc = nil end

  local key = env.getenv("KEYAPI_API_KEY")
  if not key or key == "" then
    env.stderr:write("shoplive: no API key: set KEYAPI_API_KEY (export KEYAPI_API_KEY=sk_live_...)\n")
    return 1
  end
  local base = env.getenv("KEYAPI_BASE_URL")
  local ok, client = pcall(shoplive.new, { api_key = key, base_url = base ~= "" and base or nil })
  if not ok then
    env.stderr:write((tostring(client):gsub("^[^:]*:%d+: ", "")), "\n")
    return 1
  end
  local tty = env.isatty(2)
  local records, pages = {}, 0
  local fetched, err = pcall(function()
    for _, id in ipairs(ids) do
      for page in client:pages{ seller_id = id, sort_by = args.sort, order = args.order, limit = limit,
        concurrency = conc } do
        pages = pages + 1
        for _, r in ipairs(page.records) do records[#records + 1] = r end
        if tty then
          env.stderr:write(string.format("\r\27[Kshop %s: pages %d, credits %d", id, pages, client:stats().credits))
          env.stderr:flush()
        end
      end
    end
  end)
  local credits = client:stats().credits
  client:close()
  if tty then env.stderr:write("\r\27[K") end
  if not fetched then
    if type(err) == "table" then
      env.stderr:write(tostring(err), "\n")
      return 1
    end
    error(err, 0)
  end
  local doc = shoplive.report(records, { title = args.title, tz = args.tz, top = top, shops = ids,
    credits = credits, pages = pages })
  local wok, werr = write_file(args.output, doc)
  if not wok then
    env.stderr:write("shoplive: cannot write ", tostring(werr), "\n")
    return 1
  end
  env.stdout:write(args.output, "\n")
  if tty then
    env.stderr:write(string.format("%d livestreams of %d shops; %d pages, %d credits spent\n", #records, #ids,
      pages, credits))
  end
  return 0
end

return M
