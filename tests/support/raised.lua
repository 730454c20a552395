--- The error message of f(...), which must raise: a spec checks what the
-- message says in one line, assert.matches(pattern, raised(f, ...)).
local luassert = require("luassert")

return function(f, ...)
  local ok, msg = pcall(f, ...)
  luassert.is_false(ok, "no error raised")
  return msg
end
