-- lua tools/versioned-rockspec.lua VERSION < shoplive-scm-1.rockspec
-- Writes the rockspec of release VERSION: the scm one with its version, and
-- as source the release tarball named by file name only (tools/dist packs
-- both into the source rock, so it installs offline from the rock alone).
local v = assert(arg[1] and arg[1]:match("^%d+%.%d+%.%d+$"), "usage: versioned-rockspec.lua X.Y.Z < rockspec")
local name = "shoplive-" .. v
local text = io.read("*a")
local n1, n2
text, n1 = text:gsub('\nversion = "scm%-1"\n', '\nversion = "' .. v .. '-1"\n', 1)
text, n2 = text:gsub("\nsource = %b{}\n", "\nsource = {\n"
  .. "  -- the release tarball, shipped beside this rockspec and inside the source rock\n"
  .. '  url = "' .. name .. '.tar.gz",\n  dir = "' .. name .. '",\n}\n', 1)
assert(n1 == 1 and n2 == 1, "the scm rockspec has no version or source to replace")
io.write(text)
