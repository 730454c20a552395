--- A small Lua lexer for specs that read the project's source: tokens
-- with their lines, comments and strings (short and long) skipped as units,
-- so that a keyword inside a string or a comment is never counted. Enough
-- for Lua 5.1-5.4 source; not a validator (bad input gives odd tokens, not
-- errors).
local M = {}

-- The end of the long bracket opened at i ("[", "=" * level, "["), or nil
-- when s has no long bracket there.
local function long_bracket_end(s, i)
  local eq = s:match("^%[(=*)%[", i)
  if not eq then return nil end
  local _, e = s:find("]" .. eq .. "]", i + #eq + 2, true)
  return e or #s
end

local function short_string_end(s, i)
  local q = s:sub(i, i)
  local j = i + 1
  while j <= #s do
    local c = s:sub(j, j)
    if c == "\\" then
      j = j + 2
    elseif c == q or c == "\n" then
      return j
    else
      j = j + 1
    end
  end
  return #s
end

local function count_lines(s, i, j)
  local n = 0
  for _ in s:sub(i, j):gmatch("\n") do n = n + 1 end
  return n
end

-- The end of the token (or skipped unit) at i, and its kind: "name",
-- "number", "string", "comment", "space" or "op".
local function scan(s, i)
  local c = s:sub(i, i)
  if c:find("%s") then return select(2, s:find("^%s+", i)), "space" end
  if c:find("[%a_]") then return select(2, s:find("^[%w_]+", i)), "name" end
  if c:find("%d") or (c == "." and s:find("^%.%d", i)) then
    return select(2, s:find("^[%w_.]*", i)), "number" -- exponent signs: see tokens
  end
  if c == "-" and s:sub(i + 1, i + 1) == "-" then
    local e = long_bracket_end(s, i + 2)
    if e then return e, "comment" end
    return (s:find("\n", i, true) or #s + 1) - 1, "comment"
  end
  if c == '"' or c == "'" then return short_string_end(s, i), "string" end
  if c == "[" then
    local e = long_bracket_end(s, i)
    if e then return e, "string" end
  end
  local three = s:sub(i, i + 2)
  if three == "..." then return i + 2, "op" end
  local two = s:sub(i, i + 1)
  if two == "==" or two == "~=" or two == "<=" or two == ">=" or two == ".." or two == "::"
    or two == "//" or two == "<<" or two == ">>" then
    return i + 1, "op"
  end
  return i, "op"
end

--- The tokens of source s: an array of { kind =, text =, line = } without
-- spaces and comments. A first line starting with "#" (a shebang) is
-- skipped as Lua itself does.
function M.tokens(s)
  local out, i, line = {}, 1, 1
  if s:sub(1, 1) == "#" then i = (s:find("\n", 1, true) or #s) end
  while i <= #s do
    local e, kind = scan(s, i)
    local exp = s:find("^0[xX]", i) and "^[pP][+-]" or "^[eE][+-]"
    if kind == "number" and s:find(exp, e) then
      -- 1e-5, 0x1p+4: the sign belongs to the number
      e = select(2, s:find("^.[+-]%d*", e))
    end
    if kind ~= "space" and kind ~= "comment" then
      out[#out + 1] = { kind = kind, text = s:sub(i, e), line = line }
    end
    line = line + count_lines(s, i, e)
    i = e + 1
  end
  return out
end

-- The name a function defined at token k is known by: "M.f", "Store:claim",
-- "f" (local function, or x = function), or "(anonymous)".
local function function_name(toks, k)
  local name = {}
  local j = k + 1
  while toks[j] and (toks[j].kind == "name" or toks[j].text == "." or toks[j].text == ":") do
    name[#name + 1] = toks[j].text
    j = j + 1
  end
  if #name > 0 then return table.concat(name) end
  local prev, before = toks[k - 1], toks[k - 2]
  if prev and prev.text == "=" and before and before.kind == "name" then return before.text end
  return "(anonymous)"
end

--- Every function of source s: an array of { name =, line =, last =,
-- length = } (length counts the lines from `function` to its `end`), in
-- the order they open.
function M.functions(s)
  local toks, stack, out = M.tokens(s), {}, {}
  for k, t in ipairs(toks) do
    if t.kind == "name" then
      local w = t.text
      if w == "function" then
        local f = { name = function_name(toks, k), line = t.line }
        out[#out + 1] = f
        stack[#stack + 1] = { fn = f }
      elseif w == "if" or w == "repeat" then
        stack[#stack + 1] = {}
      elseif w == "while" or w == "for" then
        stack[#stack + 1] = { awaits_do = true } -- its `do` opens no block of its own
      elseif w == "do" then
        local top = stack[#stack]
        if top and top.awaits_do then top.awaits_do = nil else stack[#stack + 1] = {} end
      elseif w == "end" or w == "until" then
        local top = table.remove(stack)
        if top and top.fn then
          top.fn.last = t.line
          top.fn.length = t.line - top.fn.line + 1
        end
      end
    end
  end
  return out
end

return M
