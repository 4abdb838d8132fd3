; Dart: classes, mixins, extensions and enums, their methods, getters, setters and constructors
; (`Type.method`), and top-level functions. tree-sitter-dart puts a function's body beside its
; signature rather than inside it, so the body is captured as @body, the node the record spans
; to; an abstract method is a declaration without one. `///` and `/** */` doc comments come from
; the row's doc_comment_prefixes, `@override`-style annotations from its attribute_node_types.

(class_definition
  name: (identifier) @name) @definition.class

(mixin_declaration
  (identifier) @name) @definition.class

(extension_declaration
  name: (identifier) @name) @definition.class

(enum_declaration
  name: (identifier) @name) @definition.class

((function_signature
  name: (identifier) @name) @definition.function
 .
 (function_body) @body)

((method_signature
  [
    (function_signature name: (identifier) @name)
    (getter_signature name: (identifier) @name)
    (setter_signature name: (identifier) @name)
    (constructor_signature name: (identifier) @name . (formal_parameter_list))
    (factory_constructor_signature (identifier) @name . (formal_parameter_list))
  ]) @definition.function
 .
 (function_body) @body)

(declaration
  [
    (function_signature name: (identifier) @name)
    (getter_signature name: (identifier) @name)
    (setter_signature name: (identifier) @name)
    (constructor_signature name: (identifier) @name . (formal_parameter_list))
  ]) @definition.function
