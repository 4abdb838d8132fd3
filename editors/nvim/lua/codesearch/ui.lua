-- Showing search hits: Telescope when it is installed, else vim.ui.select, or the quickfix list;
-- and jumping to path:line.

local M = {}

local function text_or_nil(value)
  if type(value) == "string" and value ~= "" then
    return value
  end
  return nil
end

-- One entry per hit: an absolute file name, the 1-based line, and a one-line description.
-- Hit fields are those of `codesearch ask --json` (server/PROTOCOL.md, "search").
function M.entries(hits, root)
  local entries = {}
  for _, hit in ipairs(hits) do
    local about = text_or_nil(hit.docstring_summary) or text_or_nil(hit.signature) or ""
    entries[#entries + 1] = {
      filename = root .. "/" .. hit.path,
      path = hit.path,
      lnum = hit.start_line,
      name = hit.qualified_name,
      kind = hit.kind,
      text = hit.qualified_name .. (about ~= "" and ("  " .. about) or ""),
      about = about,
    }
  end
  return entries
end

function M.format(entry)
  return ("%s  %s:%d  %s"):format(entry.name, entry.path, entry.lnum, entry.about)
end

local function truncate(text, width)
  if vim.fn.strdisplaywidth(text) <= width then
    return text
  end
  return vim.fn.strcharpart(text, 0, math.max(width - 1, 0)) .. "…"
end

-- Like M.format, with the names and locations of `entries` padded into columns, and each line
-- cut to the screen width (vim.ui.select numbers the lines: "12: ").
function M.formatter(entries)
  local name_width, where_width = 0, 0
  for _, entry in ipairs(entries) do
    name_width = math.max(name_width, vim.fn.strdisplaywidth(entry.name))
    where_width = math.max(where_width, #entry.path + 1 + #tostring(entry.lnum))
  end
  local about_width = vim.o.columns - #tostring(#entries) - 2 - name_width - where_width - 5
  return function(entry)
    local where = entry.path .. ":" .. entry.lnum
    local name_pad = string.rep(" ", name_width - vim.fn.strdisplaywidth(entry.name))
    local where_pad = string.rep(" ", where_width - #where)
    return ("%s%s  %s%s  %s"):format(entry.name, name_pad, where, where_pad, truncate(entry.about, about_width))
  end
end

function M.jump(entry)
  vim.cmd("edit " .. vim.fn.fnameescape(entry.filename))
  vim.api.nvim_win_set_cursor(0, { entry.lnum, 0 })
  vim.cmd("normal! zz")
end

function M.quickfix(entries, title)
  local items = {}
  for _, entry in ipairs(entries) do
    items[#items + 1] = { filename = entry.filename, lnum = entry.lnum, col = 1, text = entry.text }
  end
  vim.fn.setqflist({}, " ", { title = title, items = items })
  vim.cmd("copen")
end

function M.select(entries, title)
  vim.ui.select(entries, { prompt = title, format_item = M.formatter(entries), kind = "codesearch" }, function(choice)
    if choice then
      M.jump(choice)
    end
  end)
end

-- Telescope's own "select" action opens entry.filename at entry.lnum; its grep previewer shows it.
function M.telescope(entries, title)
  local pickers = require("telescope.pickers")
  local finders = require("telescope.finders")
  local conf = require("telescope.config").values
  local opts = {}
  pickers.new(opts, {
    prompt_title = title,
    finder = finders.new_table({
      results = entries,
      entry_maker = function(entry)
        return { value = entry, display = M.format(entry), ordinal = entry.text .. " " .. entry.path,
                 filename = entry.filename, lnum = entry.lnum, col = 1 }
      end,
    }),
    sorter = conf.generic_sorter(opts),
    previewer = conf.grep_previewer(opts),
  }):find()
end

function M.has_telescope()
  return (pcall(require, "telescope.pickers"))
end

-- picker: "auto" (Telescope if installed, else vim.ui.select), "telescope", "select" or "quickfix".
function M.show(hits, root, title, picker)
  local entries = M.entries(hits, root)
  if #entries == 0 then
    vim.notify("codesearch: no results for " .. title, vim.log.levels.INFO)
    return
  end
  if picker == "quickfix" then
    M.quickfix(entries, title)
  elseif picker == "telescope" or (picker == "auto" and M.has_telescope()) then
    M.telescope(entries, title)
  else
    M.select(entries, title)
  end
end

return M
