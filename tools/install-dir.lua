-- lua<V> tools/install-dir.lua cpath|path PREFIX: the directory under PREFIX
-- where this interpreter looks for C modules (cpath) or Lua modules (path),
-- read from its own package.cpath / package.path; prints nothing if it does
-- not search PREFIX (the Makefile then falls back to lib/lua/<V>, share/lua/<V>).
-- Only Lua's and Debian's layouts count (PREFIX/lib/lua/V, PREFIX/lib/<multiarch>/lua/V,
-- PREFIX/share/lua/V), so /usr does not pick /usr/local nor LuaJIT's own share dir.
local kind, prefix = arg[1], arg[2]
local suffix = kind == "cpath" and "/?.so" or "/?.lua"
local want = kind == "cpath" and { "^lib/lua/[^/]+$", "^lib/[^/]+/lua/[^/]+$" } or { "^share/lua/[^/]+$" }
prefix = prefix:gsub("/+$", "") .. "/"
for t in package[kind]:gmatch("[^;]+") do
  if t:sub(1, prefix:len()) == prefix and t:sub(-suffix:len()) == suffix then
    local rest = t:sub(prefix:len() + 1, -suffix:len() - 1)
    for _, pat in ipairs(want) do
      if rest:match(pat) then
        print(prefix .. rest)
        return
      end
    end
  end
end
