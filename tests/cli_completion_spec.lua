-- Issue 17 item 2: `shoplive completion bash|zsh|fish` is argparse's own
-- generator run on the parser --help comes from. Each script must be
-- accepted by its shell (where the shell is installed), name every command
-- and every option of every command, and complete for real: bash through
-- its completion function, fish through `complete -C`.
local env = require("support.env")
local cli = require("support.cli_run")

local run, sh_quote = cli.run, env.sh_quote
local COMMANDS = { "livestreams", "summary", "report", "sync", "queue", "completion" }

local function has(shell)
  return env.sh_ok("command -v " .. shell .. " >/dev/null 2>&1")
end

-- Every option a command's --help lists.
local function options_of(cmd)
  local status, help = run(cmd .. " --help")
  assert.equals(0, status, cmd)
  local out = {}
  for opt in help:gmatch("%-%-[%w-]+") do out[#out + 1] = opt end
  assert.is_true(#out >= 1, cmd)
  return out
end

local function script(shell)
  local status, out, err = run("completion " .. shell)
  assert.equals(0, status, err)
  local path = os.tmpname()
  cli.write(path, out)
  return out, path
end

describe("shoplive completion #novalgrind", function()
  for _, shell in ipairs{ "bash", "zsh", "fish" } do
    it(shell .. ": names every command and option, and its shell parses it", function()
      local out, path = script(shell)
      for _, cmd in ipairs(COMMANDS) do
        assert.truthy(out:find(cmd, 1, true), shell .. ": " .. cmd)
        for _, opt in ipairs(options_of(cmd)) do
          -- fish writes an option without its dashes: -l page-size
          local name = shell == "fish" and ("-l " .. opt:sub(3)) or opt
          assert.truthy(out:find(name, 1, true), shell .. ": " .. cmd .. " " .. opt)
        end
      end
      if has(shell) then
        assert.is_true(env.sh_ok(shell .. " -n " .. sh_quote(path)), shell .. " -n")
      end
      os.remove(path)
    end)
  end

  it("bash completes commands, a command's options and an option's choices", function()
    if not has("bash") then return pending("bash is not installed") end
    local _, path = script("bash")
    local function complete(words)
      local cmd = "source " .. sh_quote(path) .. "; COMP_WORDS=(" .. words .. "); COMP_CWORD=$((${#COMP_WORDS[@]}-1));"
        .. " _shoplive; printf '%s\\n' \"${COMPREPLY[@]}\""
      local status, out = env.sh("bash -c " .. sh_quote(cmd))
      assert.equals(0, status)
      return out
    end
    local first = complete("shoplive ''")
    for _, cmd in ipairs(COMMANDS) do assert.truthy(first:find(cmd .. "\n", 1, true), cmd) end
    assert.truthy(complete("shoplive sync --l"):find("--lease\n", 1, true))
    assert.equals("gmv\n", complete("shoplive livestreams --sort g"))
    os.remove(path)
  end)

  it("fish completes commands and options", function()
    if not has("fish") then return pending("fish is not installed") end
    local _, path = script("fish")
    local function complete(line)
      local status, out = env.sh("fish -c " .. sh_quote("source " .. path .. "; complete -C " .. sh_quote(line)))
      assert.equals(0, status)
      return out
    end
    local first = complete("shoplive ")
    for _, cmd in ipairs(COMMANDS) do assert.truthy(first:find(cmd, 1, true), cmd) end
    assert.truthy(complete("shoplive sync --le"):find("--lease", 1, true))
    os.remove(path)
  end)
end)
