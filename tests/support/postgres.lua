-- Test helper: a throwaway PostgreSQL 15 cluster for the store specs.
--
--   local pg = require("support.postgres").start()  -- nil, reason when PostgreSQL is missing
--   pg.url          --> "postgresql://shoplive:secret@127.0.0.1:PORT/shoplive"
--   pg:stop()       -- idempotent; also removes the cluster's directory
--
-- PostgreSQL refuses to run as root, so initdb and pg_ctl run as the
-- `postgres` user the Debian package creates, in a temp dir that user owns,
-- on a free loopback port (password auth, so bad passwords are refused).
local socket = require("socket")

local M = {}

local BIN = os.getenv("SHOPLIVE_PG_BIN") or "/usr/lib/postgresql/15/bin"
M.USER, M.PASSWORD, M.DB = "shoplive", "s3cr3t-pw", "shoplive"

local function sh(cmd)
  local p = io.popen("unset LD_PRELOAD; " .. cmd .. " 2>&1; echo \"__status=$?\"")
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("__status=(%d+)%s*$")), out:gsub("__status=%d+%s*$", "")
end

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function as_pg(cmd)
  local prefix = ""
  local st = sh("id -u")
  if st == 0 then
    local _, uid = sh("id -u")
    if uid:match("^0%s*$") then prefix = "runuser -u postgres -- " end
  end
  return sh(prefix .. cmd)
end

local Pg = {}
Pg.__index = Pg

-- The specs' own connections to the cluster wait up to 60 s, not the
-- store's 10: under valgrind libpq's SCRAM exchange is slow, and on a
-- loaded machine (two suites, other work) a fresh backend answered after
-- more than 10 s; the fixture's connect is not what those specs test (the
-- connect timeout has its own test, with connect_timeout=1 in its URL).
local LOADED_CONNECT_TIMEOUT = 60
M.CONNECT_TIMEOUT = LOADED_CONNECT_TIMEOUT -- for a spec's own libpq.open (milliseconds: * 1000)

function M.start()
  require("shoplive.store.postgres").CONNECT_TIMEOUT = LOADED_CONNECT_TIMEOUT
  local f = io.open(BIN .. "/pg_ctl", "r")
  if not f then return nil, "PostgreSQL 15 is not installed (" .. BIN .. ")" end
  f:close()
  local _, dir = sh("mktemp -d /tmp/shoplive-pg.XXXXXX")
  dir = dir:gsub("%s+$", "")
  sh("chown postgres:postgres " .. dir .. " && chmod 700 " .. dir)
  local pwfile = dir .. "/pw"
  local w = assert(io.open(pwfile, "w"))
  w:write(M.PASSWORD, "\n")
  w:close()
  sh("chown postgres:postgres " .. pwfile)
  local st, out = as_pg(BIN .. "/initdb -D " .. dir .. "/data -U " .. M.USER .. " --pwfile=" .. pwfile
    .. " --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync")
  if st ~= 0 then sh("rm -rf " .. dir) return nil, "initdb failed: " .. out end
  local self = setmetatable({ dir = dir, port = free_port() }, Pg)
  st, out = as_pg(BIN .. "/pg_ctl -D " .. dir .. "/data -l " .. dir .. "/log -w -t 30 -o '-k " .. dir
    .. " -h 127.0.0.1 -p " .. self.port .. " -c fsync=off' start")
  if st ~= 0 then sh("rm -rf " .. dir) return nil, "pg_ctl start failed: " .. out end
  self.running = true
  st, out = as_pg(BIN .. "/psql -h " .. dir .. " -p " .. self.port .. " -U " .. M.USER
    .. " -d postgres -c 'CREATE DATABASE " .. M.DB .. "'")
  if st ~= 0 then self:stop() return nil, "createdb failed: " .. out end
  self.url = "postgresql://" .. M.USER .. ":" .. M.PASSWORD .. "@127.0.0.1:" .. self.port .. "/" .. M.DB
  return self
end

--- A fresh empty database named name; returns its URL.
function Pg:database(name)
  local st, out = as_pg(BIN .. "/psql -h " .. self.dir .. " -p " .. self.port .. " -U " .. M.USER
    .. " -d postgres -c 'CREATE DATABASE " .. name .. "'")
  assert(st == 0, out)
  return "postgresql://" .. M.USER .. ":" .. M.PASSWORD .. "@127.0.0.1:" .. self.port .. "/" .. name
end

--- Run SQL through psql in database db (default the main one).
function Pg:psql(sql, db)
  return as_pg(BIN .. "/psql -X -A -t -h " .. self.dir .. " -p " .. self.port .. " -U " .. M.USER .. " -d "
    .. (db or M.DB) .. " -c \"" .. sql:gsub('"', '\\"') .. "\"")
end

function Pg:stop()
  if self.running then
    as_pg(BIN .. "/pg_ctl -D " .. self.dir .. "/data -m immediate -w stop")
    self.running = false
  end
  if self.dir then sh("rm -rf " .. self.dir) self.dir = nil end
end

--- For a spec file: the cluster (or nil, the reason) and a temp dir, both
-- gone at the spec's teardown (its busted hook, passed in: busted sets it in
-- the spec's environment only).
function M.start_with_tmpdir(teardown)
  local tmp = require("support.files").tmpdir()
  local pg, why = M.start()
  teardown(function()
    if pg then pg:stop() end
    os.execute("rm -rf " .. tmp)
  end)
  return pg, why, tmp
end

--- For a describe that needs the cluster: false when pg started, else one
-- test that fails with the reason why and true (the describe returns
-- then). it: the spec's busted `it`.
function M.missing(pg, why, it)
  if pg then return false end
  it("needs PostgreSQL 15 (" .. tostring(why) .. ")", function() error(why) end)
  return true
end

--- For a describe block: before each test a fresh database named prefix..n
-- on cluster pg (fx.name, its URL fx.url), a store open on it (fx.s) and
-- the run's sandbox reset; after it the store closed and the sandbox reset.
-- hooks: the spec's busted before_each and after_each.
function M.store_each(pg, prefix, hooks)
  local env = require("support.env")
  local fx, n = {}, 0
  hooks.before_each(function()
    n = n + 1
    fx.name = prefix .. n
    fx.url = pg:database(fx.name)
    fx.s = env.shoplive.store.open(fx.url)
    env.sandbox():reset()
  end)
  hooks.after_each(function()
    fx.s:close()
    env.sandbox():reset()
  end)
  return fx
end

return M
