; Python: functions, methods (functions inside a class), classes; the docstring is the first
; statement of the body when it is a string.

(class_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?)) @definition.class

(function_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?)) @definition.function
