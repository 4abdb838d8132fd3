-- User commands of codesearch.nvim (the work is done in lua/codesearch/).
if vim.g.loaded_codesearch or vim.fn.has("nvim-0.7") == 0 then
  return
end
vim.g.loaded_codesearch = true

-- A bang sends the results to the quickfix list instead of the picker.
local function picker_for(command)
  return command.bang and "quickfix" or nil
end

vim.api.nvim_create_user_command("CodeSearch", function(command)
  require("codesearch").search(command.args, { picker = picker_for(command) })
end, { nargs = "+", bang = true, desc = "Semantic code search (codesearch); ! for the quickfix list" })

vim.api.nvim_create_user_command("CodeSearchSimilar", function(command)
  require("codesearch").similar({ picker = picker_for(command) })
end, { nargs = 0, bang = true, desc = "Functions like the one under the cursor (codesearch)" })

vim.api.nvim_create_user_command("CodeSearchStop", function()
  require("codesearch").stop_server()
end, { nargs = 0, desc = "Stop the codesearch server" })
