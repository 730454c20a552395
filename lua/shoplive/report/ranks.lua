--- The rankings of the report's top table, by name, in the order the
-- options list them. A module of its own so that the CLI's option list
-- (cli/report.lua) names them without loading the report's figures.
return { NAMES = { "gmv", "gmv_per_hour", "views", "conversion" } }
