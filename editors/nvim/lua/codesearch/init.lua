-- codesearch for Neovim: semantic search and "similar functions" through a `codesearch serve`
-- server, started on first use when none runs. Commands are defined in plugin/codesearch.lua.

local server = require("codesearch.server")
local ui = require("codesearch.ui")

local M = {}

M.defaults = {
  server_cmd = { "codesearch", "serve" }, -- how to start the server when none listens
  start_server = true,
  socket = nil, -- nil: the server's default socket (see server.lua)
  k = 20,
  picker = "auto", -- "auto" | "telescope" | "select" | "quickfix"
  start_timeout_ms = 60000, -- a cold server loads the model first
}

M.config = vim.deepcopy(M.defaults)

local connection = nil

function M.setup(opts)
  M.config = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts or {})
end

local function notify_error(message)
  vim.notify("codesearch: " .. message, vim.log.levels.ERROR)
end

-- The open connection, or a new one (starting the server if needed); callback(client).
local function with_client(callback)
  if connection and not connection:is_closed() then
    return callback(connection)
  end
  server.connect(M.config, function(err, client)
    if err then
      return notify_error(err)
    end
    connection = client
    callback(client)
  end)
end

local function request(method, params, on_result)
  with_client(function(client)
    client:request(method, params, function(err, result)
      if err then
        return notify_error(err.message or vim.inspect(err))
      end
      on_result(result)
    end)
  end)
end

-- The folder a search starts from: the current file's, else the working directory; the server
-- looks upwards from there for the repository's .codesearch index.
local function search_root()
  local name = vim.api.nvim_buf_get_name(0)
  if name ~= "" and vim.fn.filereadable(name) == 1 then
    return vim.fn.fnamemodify(name, ":p:h")
  end
  return vim.fn.getcwd()
end

-- opts: k, picker (override the configuration for one call).
function M.search(query, opts)
  opts = opts or {}
  local params = { query = query, k = opts.k or M.config.k, root = search_root() }
  request("search", params, function(result)
    ui.show(result.hits, result.root, "codesearch: " .. query, opts.picker or M.config.picker)
  end)
end

-- The definitions most like the innermost function, method or class around the cursor.
function M.similar(opts)
  opts = opts or {}
  local path = vim.api.nvim_buf_get_name(0)
  if path == "" or vim.fn.filereadable(path) == 0 then
    return notify_error("the current buffer is not a file")
  end
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local params = { path = vim.fn.fnamemodify(path, ":p"), line = line, k = opts.k or M.config.k }
  request("similar", params, function(result)
    local title = ("codesearch: similar to %s:%d"):format(vim.fn.fnamemodify(path, ":."), line)
    ui.show(result.hits, result.root, title, opts.picker or M.config.picker)
  end)
end

-- Stop the shared server (it serves every editor of this user); callback() once it answered.
function M.stop_server(callback)
  local stop_config = vim.tbl_extend("force", M.config, { start_server = false })
  server.connect(stop_config, function(err, client)
    if err then
      return notify_error(err)
    end
    client:request("shutdown", { server = true }, function(stop_err)
      client:close()
      if stop_err then
        return notify_error(stop_err.message)
      end
      vim.notify("codesearch: the server is stopping", vim.log.levels.INFO)
      if callback then
        callback()
      end
    end)
  end)
  if connection then
    connection:close()
    connection = nil
  end
end

return M
