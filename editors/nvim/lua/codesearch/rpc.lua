-- JSON-RPC 2.0 over a Unix socket with LSP-style Content-Length framing
-- (codesearch/server/PROTOCOL.md, sections 2 and 3), on libuv pipes.
--
-- Callbacks run on the main loop (vim.schedule), so they may call any Neovim API. vim.json is
-- used in the libuv callbacks because, unlike vim.fn.json_decode, it is allowed in fast events.

local uv = vim.uv or vim.loop

local M = {}

-- Frame one message: the header counts bytes, and a Lua string's # is its length in bytes.
function M.encode_frame(message)
  local body = vim.json.encode(message)
  return "Content-Length: " .. #body .. "\r\n\r\n" .. body
end

-- Cut every complete frame off the front of `buffer`.
-- Returns the bodies, the unconsumed rest, and an error string when a header is broken.
function M.split_frames(buffer)
  local bodies = {}
  while true do
    local header_end = buffer:find("\r\n\r\n", 1, true)
    if not header_end then
      return bodies, buffer
    end
    local length = tonumber(buffer:sub(1, header_end):lower():match("content%-length:%s*(%d+)"))
    if not length then
      return bodies, buffer, "a frame without a Content-Length header"
    end
    local body_start = header_end + 4
    if #buffer < body_start + length - 1 then
      return bodies, buffer
    end
    bodies[#bodies + 1] = buffer:sub(body_start, body_start + length - 1)
    buffer = buffer:sub(body_start + length)
  end
end

local Client = {}
Client.__index = Client

-- Connect to the socket at `path`; callback(err, client) with err a string when nobody listens.
function M.connect(path, callback)
  local pipe = uv.new_pipe(false)
  pipe:connect(path, function(err)
    if err then
      pipe:close()
      vim.schedule(function()
        callback(err)
      end)
      return
    end
    local client = setmetatable({ pipe = pipe, next_id = 1, pending = {}, buffer = "", closed = false }, Client)
    pipe:read_start(function(read_err, chunk)
      client:_on_read(read_err, chunk)
    end)
    vim.schedule(function()
      callback(nil, client)
    end)
  end)
end

-- Send a request; callback(err, result), err being the JSON-RPC error object ({code, message}).
function Client:request(method, params, callback)
  if self.closed then
    vim.schedule(function()
      callback({ code = -32800, message = "the connection to the codesearch server is closed" })
    end)
    return
  end
  local id = self.next_id
  self.next_id = id + 1
  self.pending[id] = callback
  self.pipe:write(M.encode_frame({ jsonrpc = "2.0", id = id, method = method, params = params or vim.empty_dict() }))
end

function Client:is_closed()
  return self.closed
end

function Client:close()
  self:_fail("closed by the client")
end

function Client:_on_read(err, chunk)
  if err or not chunk then
    return self:_fail(err or "the codesearch server closed the connection")
  end
  local bodies, rest, frame_err = M.split_frames(self.buffer .. chunk)
  self.buffer = rest
  for _, body in ipairs(bodies) do
    self:_dispatch(body)
  end
  if frame_err then
    self:_fail(frame_err)
  end
end

function Client:_dispatch(body)
  local ok, message = pcall(vim.json.decode, body)
  if not ok or type(message) ~= "table" or message.id == nil or message.id == vim.NIL then
    return -- notifications ($/progress, codesearch/indexUpdated) are not used by this plugin
  end
  local callback = self.pending[message.id]
  self.pending[message.id] = nil
  if callback then
    local rpc_error = message.error ~= vim.NIL and message.error or nil
    vim.schedule(function()
      callback(rpc_error, message.result)
    end)
  end
end

-- Close the pipe and fail every request still waiting for an answer.
function Client:_fail(reason)
  if self.closed then
    return
  end
  self.closed = true
  self.pipe:read_stop()
  self.pipe:close()
  local pending = self.pending
  self.pending = {}
  for _, callback in pairs(pending) do
    vim.schedule(function()
      callback({ code = -32800, message = tostring(reason) })
    end)
  end
end

return M
