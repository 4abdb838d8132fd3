; Julia: functions (`function f(...) ... end`, the short form `f(x) = ...`, methods added to other
; modules' functions such as `Base.show`, return-type and `where` signatures), macros, structs and
; abstract types. A module only qualifies names (`Geometry.area`). A docstring is a string just
; before the definition: captured as a loose @doc (it belongs to the definition after it).

(module_definition
  name: (identifier) @name) @namespace

(source_file (string_literal) @doc)
(module_definition (string_literal) @doc)

(function_definition
  (signature
    [
      (call_expression . [(identifier) (field_expression)] @name)
      (typed_expression . (call_expression . [(identifier) (field_expression)] @name))
      (where_expression . (call_expression . [(identifier) (field_expression)] @name))
      (where_expression . (typed_expression . (call_expression . [(identifier) (field_expression)] @name)))
    ])) @definition.function

; The short form only at top level or in a module: inside a function it is a local helper.
(source_file
  (assignment
    .
    [
      (call_expression . [(identifier) (field_expression)] @name)
      (where_expression . (call_expression . [(identifier) (field_expression)] @name))
    ]) @definition.function)

(module_definition
  (assignment
    .
    [
      (call_expression . [(identifier) (field_expression)] @name)
      (where_expression . (call_expression . [(identifier) (field_expression)] @name))
    ]) @definition.function)

(macro_definition
  (signature
    (call_expression . (identifier) @name))) @definition.function

(struct_definition
  (type_head
    [
      (identifier) @name
      (parametrized_type_expression . (identifier) @name)
      (binary_expression . [(identifier) (parametrized_type_expression . (identifier) @name)] @name)
    ])) @definition.class

(abstract_definition
  (type_head
    [
      (identifier) @name
      (parametrized_type_expression . (identifier) @name)
      (binary_expression . [(identifier) (parametrized_type_expression . (identifier) @name)] @name)
    ])) @definition.class
