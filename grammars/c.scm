; C: function definitions, and structs, unions and enums that have a name and a body. Doc
; comments (`/** */`, `///`, and Doxygen's `/*! */`, `//!`) above come from the row's
; doc_comment_prefixes; a typedef around a struct is part of its record (wrapper_node_types).
;
; The name is the identifier inside the function_declarator, under however many pointer
; declarators the return type adds (`char **f(void)`) or inside the parenthesized declarator of
; a function returning a function pointer (`int (*f(void))(int)`), one pattern per shape.

(function_definition
  declarator: (function_declarator
    declarator: (identifier) @name)) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (identifier) @name))) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name)))) @definition.function

(function_definition
  declarator: (function_declarator
    declarator: (parenthesized_declarator
      (pointer_declarator
        declarator: (function_declarator
          declarator: (identifier) @name))))) @definition.function

; Functions defined through a macro, `TEST(name) { ... }` (test suites, callbacks), parse as a
; definition whose "type" is the macro and whose declarator is the parenthesized name.
(function_definition
  type: (type_identifier)
  declarator: (parenthesized_declarator
    (identifier) @name)
  body: (compound_statement)) @definition.function

; Prototypes are records only when a doc comment sits directly above them: headers are where many
; C projects document their API, while an undocumented prototype only repeats the signature of a
; definition that is a record already. Trailing `///<` member docs belong to the line before.
((comment) @doc
  .
  (declaration
    declarator: (function_declarator
      declarator: (identifier) @name)) @definition.function
  (#match? @doc "^(/[*][*!]|//[/!])")
  (#not-match? @doc "^(/[*][*!]|//[/!])<"))

((comment) @doc
  .
  (declaration
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name))) @definition.function
  (#match? @doc "^(/[*][*!]|//[/!])")
  (#not-match? @doc "^(/[*][*!]|//[/!])<"))

(struct_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)) @definition.class

(union_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)) @definition.class

(enum_specifier
  name: (type_identifier) @name
  body: (enumerator_list)) @definition.class

; `typedef struct { ... } name;`: the anonymous type is named by the typedef.
(type_definition
  type: (struct_specifier
    !name
    body: (field_declaration_list))
  declarator: (type_identifier) @name) @definition.class

(type_definition
  type: (union_specifier
    !name
    body: (field_declaration_list))
  declarator: (type_identifier) @name) @definition.class

(type_definition
  type: (enum_specifier
    !name
    body: (enumerator_list))
  declarator: (type_identifier) @name) @definition.class
