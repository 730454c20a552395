--- The report command's options, as cli/parser.lua describes options: the
-- parser takes them from here, so building the command line loads none of
-- the report command's code.
local ranks = require("shoplive.report.ranks")

return {
  { "--title", "The report's title (default: the shops' ids).", value = "TEXT" },
  { "--tz", "Time zone of the report's dates and hours: UTC or an offset like +07:00.", "UTC", value = "ZONE" },
  { "--top", "Livestreams in the top table, per region (1..1000).", "10", value = "N" },
  { "--period", "Days of the overview's last period, compared with as many days before (1..3660).", "28",
    value = "DAYS" },
  { "--rates", "Exchange rates for the overview: a file of lines \"to USD\", \"date 2026-12-01\", \"VND 0.0000393\".",
    value = "FILE" },
  { "--rank", "What the top table ranks by: gmv, gmv_per_hour, views or conversion (units / views).", "gmv",
    value = "FIGURE", choices = ranks.NAMES },
}

