-- make doc's HTML: the links of the generated reference and its topics
-- resolve (every relative href and src names a file, every #fragment an
-- id), each topic has its summary in the index, and the checker itself
-- finds a broken link and a broken fragment.
local env = require("support.env")
local files = require("support.files")
local sandbox = require("support.sandbox")
local ROOT = sandbox.root
local q = env.sh_quote

local function sh(cmd)
  return env.sh("cd " .. q(ROOT) .. " && { " .. cmd .. "\n} 2>&1")
end

describe("make doc's links #novalgrind", function()
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
  end)
  teardown(function() os.execute("rm -rf " .. q(dir)) end)

  it("every relative link of the generated HTML resolves, and every topic has a summary", function()
    local status, out = sh("ldoc -d " .. q(dir) .. " . && lua5.4 tools/doc-html.lua " .. q(dir)
      .. " config.ld && lua5.4 tools/check-links.lua " .. q(dir))
    assert.equals(0, status, out)
    local links, pages = out:match("check%-links: (%d+) links in (%d+) pages, 0 broken\n$")
    assert.truthy(links, out)
    assert.is_true(tonumber(links) > 500 and tonumber(pages) >= 20, out)
    -- the topics of docs/README.md link each other, not their .md files
    local index = assert(files.read(dir .. "/topics/README.md.html"))
    assert.truthy(index:find('href="options.md.html"', 1, true))
    assert.is_nil(index:find('href="[^"]*%.md"'), "a link to a .md file")
    local html = assert(files.read(dir .. "/index.html"))
    local n = 0
    for name, summary in html:gmatch('<a href="topics/([^"]+)%.html">[^<]*</a></td>%s*<td class="summary">(.-)</td>') do
      n = n + 1
      assert.truthy(#summary > 10, "no summary for " .. name)
    end
    assert.is_true(n >= 12, n .. " topics")
  end)

  it("the checker reports a missing file and a missing fragment", function()
    assert(env.sh_ok("mkdir -p " .. q(dir .. "/bad/sub")))
    files.write(dir .. "/bad/a.html", '<h2 id="here">x</h2><a href="sub/b.html#here">ok</a>'
      .. '<a href="#here">ok</a><a href="https://example.org/x">external</a>'
      .. '<a href="missing.html">1</a><a href="sub/b.html#nowhere">2</a><img src="pic.png">')
    files.write(dir .. "/bad/sub/b.html", '<a name="here"></a><a href="../a.html#here">ok</a>')
    local status, out = sh("lua5.4 tools/check-links.lua " .. q(dir .. "/bad"))
    assert.equals(1, status, out)
    assert.truthy(out:find('a.html: href="missing.html"', 1, true), out)
    assert.truthy(out:find('a.html: href="sub/b.html#nowhere"', 1, true), out)
    assert.truthy(out:find('a.html: src="pic.png"', 1, true), out)
    assert.matches("check%-links: 6 links in 2 pages, 3 broken\n$", out)
  end)
end)
