-- Files and paths for the doc tools (tools/doc-html.lua,
-- tools/check-links.lua), which both walk the HTML LDoc writes.
local M = {}

--- The file's bytes, or nil and io.open's message when it cannot be opened.
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("*a")
  f:close()
  return text
end

-- "a/b/../c/./d" -> "a/c/d"; a leading "/" stays.
function M.normalize(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." and #parts > 0 and parts[#parts] ~= ".." then parts[#parts] = nil
    elseif part ~= "." then parts[#parts + 1] = part end
  end
  return (path:sub(1, 1) == "/" and "/" or "") .. table.concat(parts, "/")
end

return M
