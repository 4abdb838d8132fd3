; OCaml (.ml implementations and .mli interfaces, one query for both grammars): functions (`let`
; bindings with parameters or a `function`/`fun` body; the first binding of a `let ... and ...`),
; value specifications (`val f : ...` in signatures and .mli files), modules and module types,
; classes and their methods, and type definitions. Names in a module read `Module.fn`.
; `(** ... *)` doc comments above come from the row's doc_comment_prefixes.

(value_definition
  .
  (let_binding
    pattern: (value_name) @name
    (parameter))) @definition.function

(value_definition
  .
  (let_binding
    pattern: (value_name) @name
    body: [(function_expression) (fun_expression)])) @definition.function

(value_specification
  (value_name) @name) @definition.function

(module_definition
  (module_binding
    (module_name) @name)) @definition.class

(module_type_definition
  (module_type_name) @name) @definition.class

(class_definition
  (class_binding
    (class_name) @name)) @definition.class

(method_definition
  (method_name) @name) @definition.function

(type_definition
  .
  (type_binding
    name: (type_constructor) @name)) @definition.class

; ocamldoc also takes a `(** ... *)` on the line right after an item as its doc (the usual style of
; .mli files): captured as @doc and as the @body the record spans to; the engine keeps it only when
; no blank line separates it from the item.
((value_specification
  (value_name) @name) @definition.function
 .
 (comment) @doc @body
 (#match? @doc "^[(][*][*][^*]"))

((type_definition
  .
  (type_binding
    name: (type_constructor) @name)) @definition.class
 .
 (comment) @doc @body
 (#match? @doc "^[(][*][*][^*]"))

((value_definition
  .
  (let_binding
    pattern: (value_name) @name
    (parameter))) @definition.function
 .
 (comment) @doc @body
 (#match? @doc "^[(][*][*][^*]"))
