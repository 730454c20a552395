-- lua tools/doc-html.lua DIR CONFIG: finishes the HTML that LDoc wrote to
-- DIR from CONFIG's topics (Markdown pages written for GitHub and for the
-- checkout, whose links name .md files):
--   * a link to another topic's .md points at the page LDoc made of it;
--   * a link to a repository file that is not a topic becomes that path as
--     <code> (the HTML reference does not carry it);
--   * every heading gets the id GitHub gives it, so "page.md#a-heading"
--     works in both places;
--   * LDoc's unresolved backtick references (an <a> to "#dumbo") become
--     plain <code>, and Discount's en dash inside <code> is "--" again;
--   * an image a page shows (docs/report.png) is copied beside its page;
--   * each topic's row in index.html gets its summary: the first sentence
--     after the page's title.
-- tools/check-links.lua then checks the result.
local dir, config = assert(arg[1], "usage: doc-html.lua DIR CONFIG"), assert(arg[2])

-- the helpers beside this script, wherever it is run from
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local docpaths = require("docpaths")
local function read(path)
  return assert(docpaths.read(path))
end
local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local normalize = docpaths.normalize

-- GitHub's heading anchor: lower case, punctuation dropped, spaces to "-".
local function slug(html)
  local text = html:gsub("<[^>]*>", ""):gsub("&%a+;", ""):gsub("&#%d+;", ""):lower()
  return (text:gsub("[^%w%s_-]", ""):gsub("%s", "-"))
end

local topics, by_name = {}, {}
for path in read(config):match("\ntopics%s*=%s*(%b{})"):gmatch('"([^"]+)"') do
  local name = path:match("[^/]+$")
  assert(not by_name[name], "two topics named " .. name .. " (LDoc writes one page per file name)")
  topics[#topics + 1] = path
  by_name[name] = path
end
local topic_of = {}
for _, path in ipairs(topics) do topic_of[normalize(path)] = path:match("[^/]+$") end

local function fix_links(html, src_dir)
  html = html:gsub('<a href="([^"#:]+%.md)(#?[^"]*)">(.-)</a>', function(file, fragment, label)
    local repo_path = normalize(src_dir .. "/" .. file)
    local name = topic_of[repo_path]
    if name then return '<a href="' .. name .. '.html' .. fragment .. '">' .. label .. "</a>" end
    return label:find("<code>", 1, true) and label .. " (<code>" .. repo_path .. "</code>)"
      or "<code>" .. repo_path .. "</code>"
  end)
  html = html:gsub('<a href="[^"]*#dumbo">(.-)</a>', "<code>%1</code>")
  html = html:gsub("<code>(.-)</code>", function(code) return "<code>" .. code:gsub("&ndash;", "--") .. "</code>" end)
  for src in html:gmatch('<img src="([^"#:]+)"') do
    write(dir .. "/topics/" .. src, read(normalize(src_dir .. "/" .. src)))
  end
  local seen = {}
  html = html:gsub("<h([1-4])>(.-)</h%1>", function(level, inner)
    local id = slug(inner)
    if id == "" or seen[id] then return nil end
    seen[id] = true
    return "<h" .. level .. ' id="' .. id .. '">' .. inner .. "</h" .. level .. ">"
  end)
  return html
end

-- The first sentence of a Markdown page's first paragraph of prose (not a
-- heading, table, list, image or code block): up to a "." or ":" then a
-- space, outside `code`, Markdown links reduced to their text.
local function summary(md)
  local para = ""
  for block in (md:gsub("\n```.-\n```", "") .. "\n\n"):gmatch("(.-)\n%s*\n") do
    block = block:gsub("^%s+", "")
    if block ~= "" and not block:match("^[|#!<]") and not block:match("^[-*] ") then
      para = block
      break
    end
  end
  para = para:gsub("%s+", " ")
  local sentence, ticks = para, 0
  for i = 1, #para do
    local c = para:sub(i, i)
    if c == "`" then ticks = ticks + 1
    elseif (c == "." or c == ":") and ticks % 2 == 0 and para:sub(i + 1, i + 1) == " " then
      sentence = para:sub(1, i)
      break
    end
  end
  sentence = sentence:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub("%[([^%]]*)%]%b()", "%1")
  return (sentence:gsub("`([^`]*)`", "<code>%1</code>"))
end

local index = read(dir .. "/index.html")
for _, path in ipairs(topics) do
  local name = path:match("[^/]+$")
  local page = dir .. "/topics/" .. name .. ".html"
  write(page, fix_links(read(page), path:match("^(.*)/[^/]*$") or "."))
  local text = summary(read(path))
  index = index:gsub('(<a href="topics/' .. name:gsub("%p", "%%%0") .. '%.html">[^<]*</a></td>%s*<td class="summary">)</td>',
    function(head) return head .. text .. "</td>" end)
end
write(dir .. "/index.html", index)
