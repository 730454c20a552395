--- shoplive.report / shoplive.report_file: one self-contained HTML document
-- (inline CSS and SVG, no script, a CSP that forbids every external load)
-- showing a list of livestream records of one or many shops. Call them as
-- `shoplive.report` and `shoplive.report_file` (documented in `shoplive`).
-- This file only composes: the figures come from shoplive.report.figures
-- (or report/from_store.lua for a store), each section from a module of
-- its own under report/ (internal). Version-neutral (Lua 5.1-5.4, LuaJIT).
-- @usage local html = shoplive.report(records, { title = "Shops", tz = "+07:00", top = 10 })
local argcheck = require("shoplive.argcheck")
local cards = require("shoplive.report.cards")
local chart = require("shoplive.report.chart")
local checks = require("shoplive.report.checks")
local css = require("shoplive.report.css")
local figures = require("shoplive.report.figures")
local header = require("shoplive.report.header")
local hosts = require("shoplive.report.hosts")
local html = require("shoplive.report.html")
local overview = require("shoplive.report.overview")
local parts = require("shoplive.report.parts")
local quality = require("shoplive.report.quality")
local rates = require("shoplive.report.rates")
local regions = require("shoplive.report.regions")
local timeline = require("shoplive.report.timeline")
local top = require("shoplive.report.top")
local util = require("shoplive.util")

local M = {}

local esc, txt = html.escape, html.text
local number = chart.number

-- The sections of <main>, in order: each takes the figures F and returns
-- its <section> (parts.section).
local SECTIONS = { overview.section, cards.section, timeline.section, regions.weekly, regions.heatmap,
  regions.histogram, top.section, hosts.section, quality.section }

-- The report's figures: computed from the records, or by the store's
-- database (report/from_store.lua). Returns F or nil, err.
local function compute(records, opts)
  if not checks.is_store(records) then return figures.compute(records, opts) end
  return require("shoplive.report.from_store").compute(records, { sellers = opts.sellers, since = opts.since,
    ["until"] = opts["until"] }, opts)
end

local function build(records, opts, version)
  parts.tables = 0
  local F, err = compute(records, opts)
  if not F then return nil, err end
  F.rates = opts.rates and rates.check(opts.rates)
  local b = html.buffer()
  local title = opts.title or header.title(F)
  b('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n',
    '<meta http-equiv="Content-Security-Policy" content="', css.CSP, '">\n',
    '<meta name="referrer" content="no-referrer">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta name="generator" content="shoplive ', esc(version), '">\n',
    "<title>", txt(title), "</title>\n<style>", css.CSS, "</style></head>\n<body>\n")
  b(header.html(F, opts, version), "\n", overview.toc(), "\n<main>\n")
  for _, section in ipairs(SECTIONS) do b(section(F), "\n") end
  b("</main>\n")
  b("<footer>Made by shoplive ", esc(version), " from ", number(F.received), " livestream records",
    F.aside > 0 and (" (" .. number(F.aside) .. " set aside)") or "",
    " of keyapi's /v1/tiktok/shop/livestreams/analytics. Times in ", esc(F.tz), ".</footer>\n",
    "</body></html>\n")
  return b()
end

--- The report of `records` (an array of records of one or many shops) as
-- one HTML document (a string). opts: title, tz ("UTC" default, "+07:00"),
-- top (default 10), rank (the top table's order: "gmv" default,
-- "gmv_per_hour", "views", "conversion"), period (days of the overview's
-- last period, compared with as many before; default 28), shops (seller ids to show even
-- with no records), rates (exchange rates the user gives, see
-- report/rates.lua: the overview then adds each shop's GMV converted),
-- credits, pages and requests (what fetching the data cost), store (true:
-- pages came through a store, which answers some for nothing), generated_at (unix
-- seconds, default now). Raises on bad arguments, naming them.
-- @local
function M.report(records, opts, version)
  opts = checks.all(records, opts, "shoplive.report")
  return build(records, opts, version or "?")
end

--- Write the report to `path`. Returns true, or nil and a message.
-- @local
function M.report_file(path, records, opts, version)
  if type(path) ~= "string" or path == "" then
    argcheck.raise("shoplive.report_file: argument 'path' must be a file name, got " .. util.describe(path))
  end
  opts = checks.all(records, opts, "shoplive.report_file")
  local doc, derr = build(records, opts, version or "?")
  if not doc then return nil, derr end
  local f, err = io.open(path, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(doc)
  local cok, cerr = f:close()
  if not ok then return nil, werr end
  if not cok then return nil, cerr end
  return true
end

return M
