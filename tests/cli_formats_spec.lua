-- The CLI's table shows each field as its kind says (shoplive.schema's
-- KINDS): with a copy of the schema that has a new counter and a new time,
-- the table right-aligns the counter and prints the time as a UTC date. A
-- column list typed again in cli/formats.lua would show both as plain text.
local schema_copy = require("support.schema_copy")

-- The table writer's text for records with fields, over schema copy.
local function table_text(copy, fields, records)
  local text
  schema_copy.load(copy, "^shoplive%.cli%.formats$", "shoplive.cli.formats", function(formats)
    local out = {}
    local sink = { write = function(_, ...) for _, s in ipairs{ ... } do out[#out + 1] = s end return true end }
    local w = formats.writer("table", sink, { fields = fields, width = 80 })
    for _, r in ipairs(records) do w:write(r) end
    w:close()
    text = table.concat(out)
  end)
  return text
end

describe("the CLI's table columns come from the schema's kinds #novalgrind", function()
  it("a new integer field is right-aligned and a new time field is a date", function()
    local copy = schema_copy.with_fields{ { "coupon_cnt", "integer" }, { "paused_at", "time" } }
    local text = table_text(copy, { "coupon_cnt", "paused_at" }, {
      { coupon_cnt = 5, paused_at = 0 }, { coupon_cnt = 12345, paused_at = 86400 } })
    local lines = {}
    for l in text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.matches("^coupon_cnt", lines[1])
    assert.matches("^         5  1970%-01%-01 00:00$", lines[3])
    assert.matches("^     12345  1970%-01%-02 00:00$", lines[4])
  end)
end)
