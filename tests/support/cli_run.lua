--- Run bin/shoplive as a subprocess of the interpreter and build under
-- test, against the run's sandbox (tests/run exports both).
local env = require("support.env")
local files = require("support.files")

local M = {}
local sh_quote = env.sh_quote

M.read, M.write = files.read, files.write

--- The shell command (with its environment) that runs the CLI with args.
function M.command(args, vars)
  local assigns = { "KEYAPI_BASE_URL=" .. sh_quote(env.sandbox().url), "KEYAPI_API_KEY=" .. sh_quote(env.KEY),
    "SHOPLIVE_BUILD=" .. sh_quote(env.BUILD) }
  for k, v in pairs(vars or {}) do assigns[#assigns + 1] = k .. "=" .. sh_quote(v) end
  return "env " .. table.concat(assigns, " ") .. " " .. env.LUA .. " bin/shoplive " .. args
end

--- status, stdout, stderr. opts.stdout: a shell redirection for stdout
-- instead of capturing it ("> /dev/full"); opts.pre: shell text run first;
-- opts.stdin: text fed to the command's standard input.
function M.run(args, vars, opts)
  opts = opts or {}
  local errfile = os.tmpname()
  local feed = opts.stdin and "printf '%s' " .. sh_quote(opts.stdin) .. " | " or ""
  local cmd = (opts.pre or "") .. feed .. M.command(args, vars) .. " 2>" .. errfile .. " " .. (opts.stdout or "")
  local status, out = env.sh(cmd)
  local err = M.read(errfile)
  os.remove(errfile)
  return status, out, err
end

--- Starts the CLI in the background with its stdout, stderr, pid and exit
-- status in files of dir; pid and rc appear whole (written, then renamed),
-- so a reader polling for them never sees half a number.
function M.spawn(args, dir, vars)
  local q = function(name) return sh_quote(dir .. "/" .. name) end
  os.execute("(" .. M.command(args, vars) .. " >" .. q("stdout") .. " 2>" .. q("stderr")
    .. " & echo $! >" .. q("pid.tmp") .. "; mv " .. q("pid.tmp") .. " " .. q("pid")
    .. "; wait $!; echo $? >" .. q("rc.tmp") .. "; mv " .. q("rc.tmp") .. " " .. q("rc") .. ") >/dev/null 2>&1 &")
end

--- Run the CLI as M.run does and check its exit status and, where want
-- gives them, its whole stdout (want.out) and stderr (want.err). Returns
-- stdout, stderr. For specs (luassert).
function M.expect(want, args, vars, opts)
  local luassert = require("luassert")
  local status, out, err = M.run(args, vars, opts)
  luassert.equals(want.status, status, args .. ": " .. tostring(err))
  if want.out then luassert.equals(want.out, out, args) end
  if want.err then luassert.equals(want.err, err, args) end
  return out, err
end

--- Run shoplive.cli.main in this interpreter on argv, against the run's
-- sandbox, with stdout and stderr captured and isatty() giving tty (for
-- what only a terminal shows). Returns status, stdout, stderr.
function M.in_process(argv, tty)
  local out, err = {}, {}
  local function sink(t)
    return { write = function(_, ...) for _, s in ipairs{ ... } do t[#t + 1] = tostring(s) end return true end,
      flush = function() return true end }
  end
  local status = require("shoplive.cli").main(argv, {
    stdout = sink(out), stderr = sink(err), isatty = function() return tty end,
    getenv = function(k)
      if k == "KEYAPI_API_KEY" then return env.KEY end
      if k == "KEYAPI_BASE_URL" then return env.sandbox().url end
      return os.getenv(k)
    end,
  })
  return status, table.concat(out), table.concat(err)
end

--- The lines of CSV text s (CRLF line ends).
function M.crlf_lines(s)
  local ls = {}
  for l in s:gmatch("(.-)\r\n") do ls[#ls + 1] = l end
  return ls
end

function M.lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

M.tmpdir = files.tmpdir

--- For each test of the enclosing describe: a reset sandbox and a fresh
-- temp dir (the returned table's .dir), removed after the test. The spec
-- passes its busted hooks: busted sets them in the spec's environment only.
function M.tmpdir_each(before_each, after_each)
  local t = {}
  before_each(function()
    env.reset()
    t.dir = M.tmpdir()
  end)
  after_each(function()
    env.sh_ok("rm -rf " .. sh_quote(t.dir))
  end)
  return t
end

function M.ls(dir)
  local p = io.popen("ls -A " .. sh_quote(dir))
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  table.sort(t)
  return t
end

return M
