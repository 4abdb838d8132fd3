-- Headless Neovim's built-in LSP client against `codesearch lsp` (driven by tests/editors/test_nvim_lsp.py).
-- Run as:
--   CODESEARCH_TEST_REPO=/abs/unindexed/git/repo CODESEARCH_TEST_PLAIN=/abs/folder/without/index \
--   CODESEARCH_TEST_LSP_CMD='["codesearch","lsp"]' nvim --headless -u NONE -i NONE -c 'luafile tests/editors/nvim_lsp_test.lua'
-- The repository has no index yet: the server builds it (showing progress), then answers
-- vim.lsp.buf.workspace_symbol. Exits 0 when every check passed.

local WAIT_MS = 180000 -- the first update loads the model and embeds the repository

local repo = os.getenv("CODESEARCH_TEST_REPO") or ""
local plain = os.getenv("CODESEARCH_TEST_PLAIN") or ""
local lsp_cmd = vim.json.decode(os.getenv("CODESEARCH_TEST_LSP_CMD") or "null")

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

local function line_of(path, needle)
  for number, text in ipairs(vim.fn.readfile(path)) do
    if text:find(needle, 1, true) then
      return number
    end
  end
  error(needle .. " not in " .. path)
end

-- What the user would see: the progress values and the errors vim.notify shows.
local progress = {}
local default_progress = vim.lsp.handlers["$/progress"]
vim.lsp.handlers["$/progress"] = function(err, result, ctx, config)
  progress[#progress + 1] = result.value
  return default_progress(err, result, ctx, config)
end
local notes = {}
vim.notify = function(message, level)
  notes[#notes + 1] = { message = message, level = level }
end

local exits = {}

local server_infos = {} -- from each initialize result

local function start(root)
  local ready = false
  local id = vim.lsp.start_client({
    name = "codesearch",
    cmd = lsp_cmd,
    cmd_cwd = vim.fn.tempname():match("^(.*)/[^/]*$"), -- not the repository: the root must come from rootUri
    root_dir = root,
    on_init = function(_, result)
      server_infos[#server_infos + 1] = result.serverInfo
      ready = true
    end,
    on_exit = function(code, signal)
      exits[#exits + 1] = { root = root, code = code, signal = signal }
    end,
  })
  check(id ~= nil, "start_client failed")
  wait_for("initialize", function()
    return ready
  end)
  return vim.lsp.get_client_by_id(id)
end

local client

local function test_the_first_index_is_built_with_progress()
  vim.cmd("edit " .. vim.fn.fnameescape(repo .. "/server/cart.py"))
  client = start(repo)
  vim.lsp.buf_attach_client(0, client.id)
  check(client.server_capabilities.workspaceSymbolProvider == true, vim.inspect(client.server_capabilities))
  check(server_infos[1].name == "codesearch", vim.inspect(server_infos))
  wait_for("the end of the index update", function()
    return #progress > 0 and progress[#progress].kind == "end"
  end)
  check(progress[1].kind == "begin" and progress[1].title == "codesearch: indexing", vim.inspect(progress[1]))
  check(progress[#progress - 1].kind == "report" and progress[#progress - 1].percentage == 100, vim.inspect(progress))
  check(progress[#progress].message:find(" definitions ") ~= nil, progress[#progress].message)
  check(vim.loop.fs_stat(repo .. "/.codesearch") ~= nil, "the index is in the repository")
  say("progress: " .. progress[#progress].message)
end

local function test_workspace_symbol_fills_the_quickfix_list_and_jumps()
  vim.fn.setqflist({}, "r")
  vim.lsp.buf.workspace_symbol("multiply two matrices")
  wait_for("the quickfix list", function()
    return #vim.fn.getqflist() > 0 or #notes > 0
  end)
  check(#notes == 0, vim.inspect(notes))
  local items = vim.fn.getqflist()
  local matrix = repo .. "/tools/Matrix.java"
  check(vim.api.nvim_buf_get_name(items[1].bufnr) == matrix, vim.inspect(items[1]))
  check(items[1].text == "[Method] multiply", items[1].text)
  check(items[1].lnum == line_of(matrix, "multiply("), vim.inspect(items[1]))
  check(#items <= 50, "at most 50 symbols")
  vim.cmd("cfirst")
  check(vim.api.nvim_buf_get_name(0) == matrix, vim.api.nvim_buf_get_name(0))
  check(vim.api.nvim_win_get_cursor(0)[1] == line_of(matrix, "multiply("), "the cursor is on the definition")
end

local function test_symbols_come_by_meaning()
  local answers = client.request_sync("workspace/symbol", { query = "hash a password with a random salt" }, WAIT_MS, 0)
  check(answers and answers.err == nil, vim.inspect(answers))
  local first = answers.result[1]
  check(first.name == "hash_password" and first.kind == 12, vim.inspect(first))
  check(vim.uri_to_fname(first.location.uri) == repo .. "/server/passwords.py", first.location.uri)
  local method = client.request_sync("workspace/symbol", { query = "total price of the items in a cart" }, WAIT_MS, 0)
  check(method.result[1].containerName == "Cart" and method.result[1].kind == 6, vim.inspect(method.result[1]))
end

local function test_cancel_and_watched_files_leave_the_server_answering()
  local cancelled_answer = nil
  local ok, request_id = client.request("workspace/symbol", { query = "retry with backoff" }, function(err, result)
    cancelled_answer = { err = err, result = result }
  end, 0)
  check(ok, "request failed")
  client.cancel_request(request_id)
  client.notify("workspace/didChangeWatchedFiles", { changes = { { uri = vim.uri_from_fname(repo .. "/web/retry.js"), type = 2 } } })
  local answers = client.request_sync("workspace/symbol", { query = "retry a request with backoff" }, WAIT_MS, 0)
  check(answers and answers.err == nil and answers.result[1].name == "fetchWithRetry", vim.inspect(answers))
  check(cancelled_answer == nil or cancelled_answer.err == nil or cancelled_answer.err.code == -32800,
    vim.inspect(cancelled_answer))
end

local function test_a_folder_without_an_index_is_an_error_shown_to_the_user()
  vim.cmd("edit " .. vim.fn.fnameescape(plain .. "/notes.py"))
  local other = start(plain)
  vim.lsp.buf_attach_client(0, other.id)
  local answers = other.request_sync("workspace/symbol", { query = "anything" }, WAIT_MS, 0)
  check(answers.err and answers.err.code == -32000 and answers.err.message:find("no index found") ~= nil,
    vim.inspect(answers))
  other.stop()
end

local function test_stop_shuts_the_servers_down_cleanly()
  client.stop()
  wait_for("both servers to exit", function()
    return #exits == 2
  end)
  for _, exit in ipairs(exits) do
    check(exit.code == 0 and exit.signal == 0, vim.inspect(exits))
  end
end

local tests = {
  test_the_first_index_is_built_with_progress,
  test_workspace_symbol_fills_the_quickfix_list_and_jumps,
  test_symbols_come_by_meaning,
  test_cancel_and_watched_files_leave_the_server_answering,
  test_a_folder_without_an_index_is_an_error_shown_to_the_user,
  test_stop_shuts_the_servers_down_cleanly,
}

local ok, failure = xpcall(function()
  check(repo ~= "" and plain ~= "" and type(lsp_cmd) == "table", "set CODESEARCH_TEST_REPO, _PLAIN and _LSP_CMD")
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
