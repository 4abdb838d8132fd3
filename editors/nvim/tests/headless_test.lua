-- Headless test of codesearch.nvim against a real `codesearch serve` (driven by
-- tests/editors/test_nvim.py). Run as:
--   CODESEARCH_TEST_REPO=/abs/indexed/repo CODESEARCH_TEST_SERVER_CMD='["codesearch","serve"]' \
--   nvim --headless -u NONE -i NONE --cmd 'set rtp^=editors/nvim' --cmd 'runtime! plugin/codesearch.lua' \
--        -c 'luafile editors/nvim/tests/headless_test.lua'
-- No server may run at the start: the plugin has to start one. Exits 0 when every check passed.

local WAIT_MS = 120000 -- the first request waits for the server to load the model

local repo = os.getenv("CODESEARCH_TEST_REPO") or ""
local server_cmd = vim.json.decode(os.getenv("CODESEARCH_TEST_SERVER_CMD") or "null")

local function say(line)
  io.stdout:write(line .. "\n")
end

local function check(condition, message)
  if not condition then
    error(message, 2)
  end
end

local function wait_for(what, condition)
  check(vim.wait(WAIT_MS, condition, 20), "timed out waiting for " .. what)
end

-- vim.ui.select and vim.notify are the documented hooks other plugins replace; here they record.
local picked = nil
vim.ui.select = function(items, opts, on_choice)
  picked = { items = items, prompt = opts.prompt, lines = vim.tbl_map(opts.format_item, items) }
  on_choice(items[1], 1)
end
local notes = {}
vim.notify = function(message, level)
  notes[#notes + 1] = { message = message, level = level }
end

local function errors()
  return vim.tbl_filter(function(note)
    return note.level == vim.log.levels.ERROR
  end, notes)
end

local function line_of(path, needle)
  for number, text in ipairs(vim.fn.readfile(path)) do
    if text:find(needle, 1, true) then
      return number
    end
  end
  error(needle .. " not in " .. path)
end

local server = require("codesearch.server")
local codesearch = require("codesearch")

local function test_search_starts_the_server_and_jumps()
  codesearch.setup({ server_cmd = server_cmd, picker = "auto", k = 5 })
  check(vim.fn.exists(":CodeSearch") == 2, "plugin/codesearch.lua defines :CodeSearch")
  check(not require("codesearch.ui").has_telescope(), "this test covers the vim.ui.select picker")
  check(vim.loop.fs_stat(server.socket_path(codesearch.config)) == nil, "a server is already running")
  vim.cmd("edit " .. vim.fn.fnameescape(repo .. "/server/cart.py"))
  vim.cmd("CodeSearch hash a password with a random salt")
  wait_for("the picker", function()
    return picked ~= nil or #errors() > 0
  end)
  check(#errors() == 0, vim.inspect(errors()))
  check(picked.items[1].name == "hash_password", vim.inspect(picked.lines))
  check(picked.prompt == "codesearch: hash a password with a random salt", picked.prompt)
  local hash_line = line_of(repo .. "/server/passwords.py", "def hash_password")
  local expected_start = ("^hash_password +server/passwords%%.py:%d +"):format(hash_line)
  check(picked.lines[1]:find(expected_start) == 1, picked.lines[1])
  check(#vim.fn.uniq(vim.tbl_map(function(line)
    return line:find("server/") or line:find("tools/") or line:find("web/")
  end, picked.lines)) == 1, "locations line up in one column:\n" .. table.concat(picked.lines, "\n"))
  local passwords = repo .. "/server/passwords.py"
  check(vim.api.nvim_buf_get_name(0) == passwords, vim.api.nvim_buf_get_name(0))
  check(vim.api.nvim_win_get_cursor(0)[1] == line_of(passwords, "def hash_password"), "cursor on the definition")
  local info = vim.json.decode(table.concat(vim.fn.readfile(server.runtime_dir() .. "/server.json"), "\n"))
  say("server pid " .. info.pid) -- the plugin started it; the driver checks that it ends after the stop
end

local function test_bang_fills_the_quickfix_list()
  vim.cmd("CodeSearch! multiply two matrices")
  wait_for("the quickfix list", function()
    return #vim.fn.getqflist() > 0 or #errors() > 0
  end)
  check(#errors() == 0, vim.inspect(errors()))
  local first = vim.fn.getqflist()[1]
  check(vim.api.nvim_buf_get_name(first.bufnr) == repo .. "/tools/Matrix.java", vim.inspect(first))
  check(first.lnum == 6 and first.text:find("^Matrix%.multiply") ~= nil, vim.inspect(first))
  check(vim.fn.getqflist({ title = 1 }).title == "codesearch: multiply two matrices", "quickfix title")
  check(vim.bo.buftype == "quickfix", "the quickfix window is open")
  vim.cmd("cclose")
end

local function test_similar_finds_the_sibling_function()
  local passwords = repo .. "/server/passwords.py"
  vim.cmd("edit " .. vim.fn.fnameescape(passwords))
  vim.api.nvim_win_set_cursor(0, { line_of(passwords, "def verify_password") + 1, 0 })
  picked = nil
  vim.cmd("CodeSearchSimilar")
  wait_for("the similar picker", function()
    return picked ~= nil or #errors() > 0
  end)
  check(#errors() == 0, vim.inspect(errors()))
  local names = vim.tbl_map(function(entry)
    return entry.name
  end, picked.items)
  check(vim.tbl_contains(names, "hash_password") and not vim.tbl_contains(names, "verify_password"),
    vim.inspect(names))
end

local function test_server_errors_are_shown()
  vim.cmd("CodeSearch " .. string.rep("x", 2001))
  wait_for("an error message", function()
    return #errors() > 0
  end)
  check(errors()[1].message:find("^codesearch: ") ~= nil, errors()[1].message)
  notes = {}
end

local function test_stop_ends_the_server()
  local socket = server.socket_path(codesearch.config)
  vim.cmd("CodeSearchStop")
  wait_for("the server to stop", function()
    return (#notes > 0 and vim.loop.fs_stat(socket) == nil) or #errors() > 0
  end)
  check(#errors() == 0, vim.inspect(errors()))
  check(notes[1].message == "codesearch: the server is stopping", vim.inspect(notes))
end

-- Telescope is not installed here: stand-ins for the three modules ui.telescope uses record what
-- it hands them, to check the entries carry what Telescope's default action opens (filename, lnum).
local function test_telescope_gets_entries_it_can_open()
  local made = {}
  package.loaded["telescope.pickers"] = {
    new = function(_, spec)
      made.spec = spec
      return { find = function() made.found = true end }
    end,
  }
  package.loaded["telescope.finders"] = { new_table = function(finder) return finder end }
  package.loaded["telescope.config"] = { values = { generic_sorter = function() end, grep_previewer = function() end } }
  local hit = { path = "tools/lru.go", start_line = 29, qualified_name = "(*LRU).Put", kind = "method",
                signature = "func (c *LRU) Put(key string, value []byte)", docstring_summary = "" }
  require("codesearch.ui").show({ hit }, repo, "codesearch: put", "auto")
  for name in pairs(package.loaded) do
    if name:find("^telescope") then
      package.loaded[name] = nil
    end
  end
  check(made.found and made.spec.prompt_title == "codesearch: put", vim.inspect(made))
  local entry = made.spec.finder.entry_maker(made.spec.finder.results[1])
  check(entry.filename == repo .. "/tools/lru.go" and entry.lnum == 29, vim.inspect(entry))
  check(entry.display:find("^%(%*LRU%)%.Put  tools/lru%.go:29  func") ~= nil, entry.display)
end

local tests = {
  test_telescope_gets_entries_it_can_open,
  test_search_starts_the_server_and_jumps,
  test_bang_fills_the_quickfix_list,
  test_similar_finds_the_sibling_function,
  test_server_errors_are_shown,
  test_stop_ends_the_server,
}

local ok, failure = xpcall(function()
  check(repo ~= "" and type(server_cmd) == "table", "set CODESEARCH_TEST_REPO and CODESEARCH_TEST_SERVER_CMD")
  for index, test in ipairs(tests) do
    test()
    say(("ok %d"):format(index))
  end
end, debug.traceback)
if ok then
  say("all passed")
  vim.cmd("qall!")
else
  io.stderr:write("FAILED: " .. tostring(failure) .. "\n")
  vim.cmd("cquit 1")
end
