; Swift: classes, structs, enums, actors and protocols, their functions (methods: `Type.method`),
; initializers (`Type.init`), deinitializers, subscripts, and top-level functions. An extension is
; not a record: it names the type its functions belong to (`extension Foo` -> `Foo.bar`), like a
; Rust impl. `///` and `/** */` doc comments above come from the row's doc_comment_prefixes;
; attributes (`@MainActor`) are part of the declaration's modifiers.

(class_declaration
  declaration_kind: "extension"
  name: (user_type (type_identifier) @name)) @scope

(class_declaration
  declaration_kind: ["class" "struct" "enum" "actor"]
  name: (type_identifier) @name) @definition.class

(protocol_declaration
  name: (type_identifier) @name) @definition.class

(function_declaration
  name: (simple_identifier) @name) @definition.function

(protocol_function_declaration
  name: (simple_identifier) @name) @definition.function

(init_declaration
  "init" @name) @definition.function

(deinit_declaration
  "deinit" @name) @definition.function

(subscript_declaration
  "subscript" @name) @definition.function
