-- Charts that do not mislead (issue 19 d): one y-axis each, the week the
-- data ends in marked partial, counts written in the heatmap's cells, its
-- lowest colour 3:1 against "no livestream", marks 3:1 against the white
-- of the charts, and many shops as the top 5 and "others" in the timeline.
local shoplive = require("shoplive")
local chart = require("shoplive.report.chart")
local records = require("support.report_records")

local rec = records.record

-- WCAG 2 contrast ratio of two "#rrggbb" colours.
local function contrast(a, b)
  local function lum(hex)
    local c = {}
    for i, p in ipairs({ 2, 4, 6 }) do
      local v = tonumber(hex:sub(p, p + 1), 16) / 255
      c[i] = v <= 0.03928 and v / 12.92 or ((v + 0.055) / 1.055) ^ 2.4
    end
    return 0.2126 * c[1] + 0.7152 * c[2] + 0.0722 * c[3]
  end
  local la, lb = lum(a), lum(b)
  if la < lb then la, lb = lb, la end
  return (la + 0.05) / (lb + 0.05)
end

describe("report charts #novalgrind", function()
  it("draws marks 3:1 against white, the heatmap's lowest colour 3:1 against an empty cell", function()
    for i = 1, chart.SERIES do
      assert.is_true(contrast(chart.color(i), "#ffffff") >= 3, chart.color(i))
    end
    assert.is_true(contrast(chart.OTHERS, "#ffffff") >= 3)
    assert.is_true(contrast(chart.heat(0), chart.NONE) >= 3)
    for t = 0, 1, 0.1 do
      -- the counts are written in white on every heat colour
      assert.is_true(contrast(chart.heat(t), "#ffffff") >= 4.5, chart.heat(t))
    end
    local doc = shoplive.report({ rec{}, rec{ room_id = "2", create_time = 1700100000 } })
    local fills = {}
    for fill in doc:gmatch('fill="(#%x+)" class="mark') do fills[fill] = true end
    assert.is_not_nil(next(fills))
    for fill in pairs(fills) do assert.is_true(contrast(fill, "#ffffff") >= 3, fill) end
  end)

  it("writes each heatmap cell's livestream count in it", function()
    local recs = {}
    for i = 1, 3 do recs[i] = rec{ room_id = "a" .. i, create_time = 1700000000 + i } end -- Tue 22:13 UTC
    recs[4] = rec{ room_id = "b", create_time = 1700000000 + 86400 } -- Wed 22:13
    local doc = shoplive.report(recs)
    local hm = assert(doc:match('<figure id="fig%-heatmap%-1">.-</svg>'))
    local counts = {}
    for n in hm:gmatch('class="count on%-heat">(%d+)</text>') do counts[#counts + 1] = n end
    table.sort(counts)
    assert.same({ "1", "3" }, counts)
  end)

  it("gives the weekly chart one y-axis and marks the week the data ends in as partial", function()
    local recs = {}
    for i = 1, 3 do -- Tuesdays: the data ends on a Tuesday, 5 days before its week does
      recs[i] = rec{ room_id = tostring(i), create_time = 1700000000 - (i - 1) * 7 * 86400 }
    end
    local doc = shoplive.report(recs)
    local wk = assert(doc:match('<figure id="fig%-weekly%-1">.-</svg>'))
    local _, titles = wk:gsub('class="axis%-title" transform="rotate', "")
    assert.equals(1, titles)
    assert.is_nil(wk:find("<circle", 1, true))
    local _, partial = wk:gsub('class="mark partial"', "")
    assert.equals(1, partial)
    assert.truthy(wk:find("Week of 2023-11-13 (partial: the data ends in it)", 1, true))
    assert.truthy(wk:find(">partial</text>", 1, true))
  end)

  it("colours the 5 shops with most livestreams and puts the others together", function()
    local recs = {}
    for s = 1, 9 do
      for i = 1, 10 - s do
        recs[#recs + 1] = rec{ seller_id = tostring(s), room_id = s .. "-" .. i, create_time = 1700000000 - i * 3600 }
      end
    end
    local doc = shoplive.report(recs)
    local tl = assert(doc:match('<figure id="fig%-timeline">.-</svg>'))
    assert.truthy(tl:find(">4 other shops</text>", 1, true))
    local legend = 0
    for _ in tl:gmatch('class="legend"') do legend = legend + 1 end
    assert.equals(6, legend)
    local fills = {}
    for fill in tl:gmatch('fill="(#%x+)" class="mark"') do fills[fill] = true end
    local n = 0
    for _ in pairs(fills) do n = n + 1 end
    assert.equals(6, n)
    assert.is_true(fills[chart.OTHERS])
  end)
end)
