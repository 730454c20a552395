local raised = require("support.raised")
local shoplive = require("shoplive")

local function recs()
  return {
    { room_id = "a", total_sale_gmv_amt = 5, total_views_cnt = 10, create_time = 3 },
    { room_id = "b", total_sale_gmv_amt = 9, total_views_cnt = 10, create_time = 1 },
    { room_id = "c", total_sale_gmv_amt = nil, total_views_cnt = 30, create_time = 2 },
    { room_id = "d", total_sale_gmv_amt = 5, total_views_cnt = 20, create_time = 4 },
    { room_id = "e", total_sale_gmv_amt = 9, total_views_cnt = 5, create_time = 0 },
  }
end

local function ids(list)
  local out = {}
  for i, r in ipairs(list) do out[i] = r.room_id end
  return table.concat(out)
end

-- The ids of records r (default: a fresh recs()) once sorted by keys.
local function sorted(keys, r)
  r = r or recs()
  shoplive.sort(r, keys)
  return ids(r)
end

describe("shoplive.sort #novalgrind", function()
  it("sorts descending with '-', stable, nil last", function()
    local r = recs()
    assert.equals(r, shoplive.sort(r, "-gmv"))
    assert.equals("beadc", ids(r))
  end)
  it("sorts ascending, nil still last", function()
    assert.equals("adbec", sorted("gmv"))
  end)
  it("uses several keys in order", function()
    local r = recs()
    assert.equals("ebadc", sorted({ "-gmv", "create_time" }, r))
    assert.equals("eabdc", sorted({ "views", "-create_time" }, r))
  end)
  it("accepts full field names and any record field", function()
    local r = recs()
    assert.equals("cdabe", sorted("-total_views_cnt", r))
    assert.equals("edcba", sorted("-room_id", r))
  end)
  it("rejects bad arguments naming them", function()
    assert.has_error(function() shoplive.sort(nil, "gmv") end, nil)
    assert.matches("sort key 1", raised(shoplive.sort, recs(), ""))
    assert.matches("'keys'", raised(shoplive.sort, recs(), {}))
    assert.matches("sort key 2", raised(shoplive.sort, recs(), { "-gmv", 5 }))
    assert.matches("records%[1%]", raised(shoplive.sort, { 1, 2 }, "gmv"))
  end)
end)

describe("shoplive.top #novalgrind", function()
  it("returns a new array of at most n, leaving the input alone", function()
    local r = recs()
    local best = shoplive.top(r, 2, "-views")
    assert.equals("cd", ids(best))
    assert.equals("abcde", ids(r))
    assert.equals(5, #shoplive.top(r, 10, "gmv"))
    assert.equals(0, #shoplive.top(r, 0, "gmv"))
  end)
  it("rejects a bad n", function()
    assert.matches("'n'", raised(shoplive.top, recs(), -1, "gmv"))
  end)
end)
