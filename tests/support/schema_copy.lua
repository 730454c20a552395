--- Modules loaded afresh over a copy of shoplive.schema with more fields:
-- a spec sees whether a module's field lists follow the schema (derived
-- from it) or were typed again (they would miss the new fields).
local schema = require("shoplive.schema")

local M = {}

--- A copy of the schema with extra fields appended: { {name, kind}, ... }.
function M.with_fields(extra)
  local c = {}
  for k, v in pairs(schema) do c[k] = v end
  c.FIELDS, c.KINDS = {}, {}
  for i, f in ipairs(schema.FIELDS) do c.FIELDS[i] = f end
  for f, k in pairs(schema.KINDS) do c.KINDS[f] = k end
  for _, e in ipairs(extra) do
    c.FIELDS[#c.FIELDS + 1], c.KINDS[e[1]] = e[1], e[2]
  end
  return c
end

--- fn(require(module)) with shoplive.schema replaced by copy and the
-- modules whose names match pattern loaded afresh over it; the modules
-- loaded before are put back afterwards, whatever fn does.
function M.load(copy, pattern, module, fn)
  local function ours(name) return name == "shoplive.schema" or name:find(pattern) ~= nil end
  local saved = {}
  for name, m in pairs(package.loaded) do
    if ours(name) then saved[name] = m end
  end
  for name in pairs(saved) do package.loaded[name] = nil end
  package.loaded["shoplive.schema"] = copy
  local ok, err = pcall(function() fn(require(module)) end)
  for name in pairs(package.loaded) do
    if ours(name) then package.loaded[name] = nil end
  end
  for name, m in pairs(saved) do package.loaded[name] = m end
  assert(ok, err)
end

return M
