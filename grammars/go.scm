; Go: functions, methods (qualified by their receiver type: (*T).Fn, T.Fn, generic (*List).Fn),
; struct and interface type declarations and the methods an interface declares.
; `//` and `/* */` doc comments directly above come from the language row's doc_comment_prefixes;
; `//go:` and linter directives there stay in the record's range but not in its docstring.

(function_declaration name: (identifier) @name) @definition.function

(method_declaration
  receiver: (parameter_list (parameter_declaration type: (_) @receiver))
  name: (field_identifier) @name) @definition.method

; `type T struct {...}` alone: the record spans the whole declaration, `type` keyword included.
((type_declaration
   (type_spec name: (type_identifier) @name type: [(struct_type) (interface_type)])) @definition.class
 (#not-match? @definition.class "^type\\s*\\("))

; `type ( A struct{...}; B interface{...} )`: one record per spec, each with its own doc comment.
(type_declaration
  "("
  (type_spec name: (type_identifier) @name type: [(struct_type) (interface_type)]) @definition.class)

(interface_type (method_elem name: (field_identifier) @name) @definition.method)
