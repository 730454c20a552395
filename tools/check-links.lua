-- lua tools/check-links.lua DIR: every relative href and src in DIR's HTML
-- files must name a file that exists, and every #fragment an id (or a
-- <a name>) in the page it points at. Prints each broken link as
-- "page: href" and a last line "check-links: N links in M pages, K broken";
-- exits 1 if any is broken. Absolute URLs (scheme:, //host) are not fetched.
local root = assert(arg[1], "usage: lua tools/check-links.lua DIR")

-- the helpers beside this script, wherever it is run from
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local docpaths = require("docpaths")
local read, normalize = docpaths.read, docpaths.normalize

local function html_files(dir)
  local p = assert(io.popen("find '" .. dir:gsub("'", "'\\''") .. "' -name '*.html' -type f | sort"))
  local files = {}
  for line in p:lines() do files[#files + 1] = line end
  p:close()
  return files
end

local function unescape(s)
  return (s:gsub("&amp;", "&"):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local ids_cache = {}
local function ids_of(path)
  if ids_cache[path] == nil then
    local set = {}
    local text = read(path) or ""
    for id in text:gmatch('%sid%s*=%s*"([^"]*)"') do set[unescape(id)] = true end
    for id in text:gmatch('<a%s+name%s*=%s*"([^"]*)"') do set[unescape(id)] = true end
    ids_cache[path] = set
  end
  return ids_cache[path]
end

local pages, links, broken = 0, 0, 0
for _, page in ipairs(html_files(root)) do
  pages = pages + 1
  local dir = page:match("^(.*)/[^/]*$") or "."
  local text = assert(read(page))
  for attr, target in text:gmatch('%s(%a+)%s*=%s*"([^"]*)"') do
    if (attr == "href" or attr == "src") and not target:match("^%a[%w+.-]*:") and not target:match("^//") then
      links = links + 1
      local file, fragment = target:match("^([^#]*)#?(.*)$")
      local path = file == "" and page or normalize(dir .. "/" .. unescape(file))
      local ok = read(path) ~= nil
      if ok and fragment ~= "" and path:match("%.html$") then ok = ids_of(path)[unescape(fragment)] == true end
      if not ok then
        broken = broken + 1
        print(page:sub(#root + 2) .. ": " .. attr .. '="' .. target .. '"')
      end
    end
  end
end
print(("check-links: %d links in %d pages, %d broken"):format(links, pages, broken))
os.exit(broken == 0 and pages > 0 and 0 or 1)
