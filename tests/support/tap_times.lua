-- busted's TAP output plus one line "# time FILE SECONDS" as each spec file
-- ends (wall time, setup and teardown included), so that any run's log
-- can refresh tests/spec_times (tests/times_from_log) and show which spec
-- a stage's time went to. tests/run passes it as busted's -o.
local socket = require("socket")

return function(options)
  local busted = require("busted")
  local handler = require("busted.outputHandlers.TAP")(options)
  local started = {}
  busted.subscribe({ "file", "start" }, function(file)
    started[file.name] = socket.gettime()
    return nil, true
  end)
  busted.subscribe({ "file", "end" }, function(file)
    local t0 = started[file.name]
    if t0 then
      io.write(string.format("# time %s %.1f\n", file.name, socket.gettime() - t0))
      io.flush()
    end
    return nil, true
  end)
  return handler
end
