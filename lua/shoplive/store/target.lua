--- What a store target names: a PostgreSQL URL or a SQLite file path, and
-- nothing else. A target that is neither is refused before anything is
-- opened or created: a mistyped URL (`postgresql:/...`, `POSTGRESQL://` that
-- libpq does not know) would otherwise become a SQLite file under directories
-- named after the password, and a SQLite URI (`file::memory:`,
-- `file:x.db?nolock=1`) would keep nothing or turn locking off.
local M = {}

local SCHEMES = { postgres = true, postgresql = true }

--- The target with every password replaced by ***, for messages: the
-- `password=` parameters, and what lies between `scheme://user:` and the last
-- `@` (a password holding an unescaped `/`, `?` or `@` is still cut whole).
function M.redact(s)
  s = s:gsub("([?&][Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]=)[^&]*", "%1***")
  local head, rest = s:match("^(%a[%w+.-]*:/*)(.*)$")
  if not head then return s end
  local at = rest:match("^.*()@")
  if not at then return s end
  local user = rest:sub(1, at - 1):match("^([^:]*):")
  if not user then return s end
  return head .. user .. ":***" .. rest:sub(at)
end

--- Classify target: "postgresql", the URL libpq is given (its scheme in
-- lower case); or "sqlite", the path; or nil, why it is refused (the
-- password cut).
function M.parse(target)
  if target == ":memory:" then
    return nil, "':memory:' is an in-memory SQLite database: it keeps nothing between runs; give a file path"
  end
  local scheme, rest = target:match("^(%a[%w+.-]*):(.*)$")
  if not scheme then return "sqlite", target end
  local lower = scheme:lower()
  local shown = M.redact(target)
  if lower == "file" then
    return nil, "'" .. shown .. "' is a SQLite URI; give the file's path instead (URI options such as "
      .. "nolock or mode=memory are not accepted)"
  end
  if not SCHEMES[lower] then
    return nil, "'" .. shown .. "' is neither a file path nor a postgresql:// URL (for a file whose name "
      .. "holds ':', write ./" .. shown .. ")"
  end
  if rest:sub(1, 2) ~= "//" then
    return nil, "'" .. shown .. "' is not a PostgreSQL URL: it starts with " .. lower .. "://"
  end
  local no_params = rest:sub(3):gsub("[?&][Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]=[^&]*", "")
  local at = no_params:match("^.*()@")
  if at and no_params:sub(1, at - 1):find("[/?#@%[%]]") then
    return nil, "'" .. shown .. "': percent-encode '/', '?', '#', '@', '[' and ']' in the user name "
      .. "and password (/ is %2F, @ is %40)"
  end
  return "postgresql", lower .. ":" .. rest
end

return M
