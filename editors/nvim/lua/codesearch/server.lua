-- Finding the codesearch server, and starting `codesearch serve` when none listens.
--
-- The socket path follows codesearch/config.py user_runtime_dir() and server/address.py:
-- $XDG_RUNTIME_DIR/codesearch/server.sock when XDG_RUNTIME_DIR is a folder, else
-- ${XDG_CACHE_HOME:-$HOME/.cache}/codesearch/run/server.sock.

local rpc = require("codesearch.rpc")

local uv = vim.uv or vim.loop

local M = {}

local RETRY_MS = 100

local function non_empty(name)
  local value = os.getenv(name)
  if value ~= nil and value ~= "" then
    return value
  end
  return nil
end

function M.runtime_dir()
  local runtime = non_empty("XDG_RUNTIME_DIR")
  if runtime and vim.fn.isdirectory(runtime) == 1 then
    return runtime .. "/codesearch"
  end
  local cache = non_empty("XDG_CACHE_HOME") or ((non_empty("HOME") or vim.fn.expand("~")) .. "/.cache")
  return cache .. "/codesearch/run"
end

function M.socket_path(config)
  return config.socket or (M.runtime_dir() .. "/server.sock")
end

-- Where a server started by this plugin writes its log (it outlives the editor, so not a pipe).
function M.log_path()
  return vim.fn.stdpath("cache") .. "/codesearch-serve.log"
end

local function log_size()
  local stat = uv.fs_stat(M.log_path())
  return stat and stat.size or 0
end

-- What the server wrote to the log since `offset`, at most its last 2000 bytes.
local function log_since(offset)
  local file = io.open(M.log_path(), "rb")
  if not file then
    return ""
  end
  file:seek("set", math.max(offset, file:seek("end") - 2000))
  local text = file:read("*a")
  file:close()
  return text
end

-- Spawn the server detached, its output appended to the log; on_exit(code) if it ends.
local function spawn(config, on_exit)
  local command = vim.deepcopy(config.server_cmd)
  if config.socket then
    vim.list_extend(command, { "--socket", config.socket })
  end
  vim.fn.mkdir(vim.fn.fnamemodify(M.log_path(), ":h"), "p")
  local null_fd = uv.fs_open("/dev/null", "r", 0)
  local log_fd = uv.fs_open(M.log_path(), "a", 384) or null_fd -- 384 = 0600
  local handle, pid_or_err = uv.spawn(command[1], {
    args = vim.list_slice(command, 2),
    stdio = { null_fd, log_fd, log_fd },
    detached = true, -- a per-user server, shared with other editors: it stays when this one quits
  }, function(code)
    vim.schedule(function()
      on_exit(code)
    end)
  end)
  uv.fs_close(null_fd) -- the child has its own copies now
  if log_fd ~= null_fd then
    uv.fs_close(log_fd)
  end
  if not handle then
    return nil, "cannot run " .. command[1] .. ": " .. tostring(pid_or_err)
  end
  handle:unref()
  return handle
end

-- Start the server and retry connecting until it listens, it exits, or the timeout passes.
function M.start(config, callback)
  local path = M.socket_path(config)
  local exit_code = nil
  local log_offset = log_size()
  local handle, spawn_err = spawn(config, function(code)
    exit_code = code
  end)
  if not handle then
    return callback(spawn_err)
  end
  local deadline = uv.now() + config.start_timeout_ms
  local function attempt()
    rpc.connect(path, function(err, client)
      if client then
        return callback(nil, client)
      end
      if exit_code ~= nil then
        return callback(("codesearch serve exited with code %d:\n%s"):format(exit_code, log_since(log_offset)))
      end
      uv.update_time()
      if uv.now() > deadline then
        return callback(("codesearch serve did not listen on %s within %d ms (%s)"):format(
          path, config.start_timeout_ms, tostring(err)))
      end
      vim.defer_fn(attempt, RETRY_MS)
    end)
  end
  attempt()
end

-- A connection to the running server, starting one first when nobody listens.
function M.connect(config, callback)
  rpc.connect(M.socket_path(config), function(err, client)
    if client then
      return callback(nil, client)
    end
    if not config.start_server then
      return callback("no codesearch server listens on " .. M.socket_path(config) .. " (" .. tostring(err) .. ")")
    end
    M.start(config, callback)
  end)
end

return M
