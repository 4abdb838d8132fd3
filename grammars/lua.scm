; Lua: functions declared with `function` (global, `local`, and on tables: `M.fn`, `M:method`),
; and functions assigned to a name or a table field (`M.fn = function() ... end`,
; `local f = function() ... end`). Names written with their table keep it as the source writes
; it: the row lists the index expressions as qualified names, split at `.` and `:`. LuaDoc /
; EmmyLua comments (`---`, then `--` lines) directly above come from the row's doc_comment_prefixes.

(function_declaration
  name: [(identifier) (dot_index_expression) (method_index_expression)] @name) @definition.function

(assignment_statement
  (variable_list
    .
    name: [(identifier) (dot_index_expression)] @name)
  (expression_list
    .
    value: (function_definition))) @definition.function
