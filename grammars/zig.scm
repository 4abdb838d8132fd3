; Zig: functions, and the structs, enums, unions and opaque types bound to a constant
; (`const Point = struct { ... }`), whose functions are methods (`Point.add`). `///` doc comments
; above come from the row's doc_comment_prefixes; `//!` documents the enclosing container and is
; never attached to the declaration after it. `test "..."` blocks are not records.

(function_declaration
  name: (identifier) @name) @definition.function

(variable_declaration
  (identifier) @name
  [(struct_declaration) (enum_declaration) (union_declaration) (opaque_declaration)]) @definition.class
