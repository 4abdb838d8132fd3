; C++: functions, methods (in the class body or out of line as `Foo::bar`), constructors,
; destructors and operators; classes, structs, unions and enums with a body; namespaces qualify
; names (`ns::Foo::bar`) without being records. Templates, `friend` and `extern "C"` wrap their
; definition (the row's wrapper_node_types), so the doc comment above `template <...>` is found.
; Doc comments (`/** */`, `///`, `/*! */`, `//!`) come from the row's doc_comment_prefixes.
;
; Names: qualified_identifier, operator_name and operator_cast are in the row's
; qualified_name_node_types, so `Box<T>::operator<` reads name `operator<`, qualified `Box::operator<`
; (the spelled qualifiers count as a class: out-of-line definitions are methods). The name sits
; in the function_declarator under the pointer or reference declarators of the return type.
; Defaulted and deleted functions (`= default`) have no body and are not records.

(namespace_definition
  name: (_) @name) @namespace

(function_definition
  declarator: (function_declarator
    declarator: [(identifier) (field_identifier) (destructor_name) (operator_name) (qualified_identifier)] @name)
  body: (_)) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: [(identifier) (field_identifier) (operator_name) (qualified_identifier)] @name))
  body: (_)) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: [(identifier) (field_identifier) (operator_name) (qualified_identifier)] @name)))
  body: (_)) @definition.function

(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: [(identifier) (field_identifier) (operator_name) (qualified_identifier)] @name))
  body: (_)) @definition.function

; `node_type *&mutable_root()`
(function_definition
  declarator: (pointer_declarator
    declarator: (reference_declarator
      (function_declarator
        declarator: [(identifier) (field_identifier) (operator_name) (qualified_identifier)] @name)))
  body: (_)) @definition.function

; A function returning a function pointer: `int (*pick(int n))(int)`.
(function_definition
  declarator: (function_declarator
    declarator: (parenthesized_declarator
      (pointer_declarator
        declarator: (function_declarator
          declarator: [(identifier) (field_identifier) (qualified_identifier)] @name))))
  body: (_)) @definition.function

; Explicit specialisations: `template <> void swap<Foo>(Foo&, Foo&)` is named `swap`.
(function_definition
  declarator: (function_declarator
    declarator: (template_function
      name: (identifier) @name))
  body: (_)) @definition.function

; Conversion operators have no function_declarator: `operator bool() const` (in the class) and
; `Foo::operator bool() const` (out of line); the name is the whole operator_cast.
(function_definition
  declarator: (operator_cast) @name
  body: (_)) @definition.function

(function_definition
  declarator: (qualified_identifier
    name: (operator_cast)) @name
  body: (_)) @definition.function

(function_definition
  declarator: (qualified_identifier
    name: (qualified_identifier
      name: (operator_cast))) @name
  body: (_)) @definition.function

(function_definition
  declarator: (qualified_identifier
    name: (qualified_identifier
      name: (qualified_identifier
        name: (operator_cast)))) @name
  body: (_)) @definition.function

; Declarations without a body (prototypes, member functions declared in the class) are records
; only when a doc comment sits directly above them: headers are where C++ projects document
; their API, while an undocumented declaration only repeats the signature of a definition that
; is a record already. Trailing `///<` member docs belong to the line before.
((comment) @doc
  .
  [
    (declaration
      declarator: (function_declarator
        declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name))
    (field_declaration
      declarator: (function_declarator
        declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name))
    (field_declaration
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: [(identifier) (field_identifier) (operator_name)] @name)))
    (field_declaration
      declarator: (reference_declarator
        (function_declarator
          declarator: [(identifier) (field_identifier) (operator_name)] @name)))
    (declaration
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: [(identifier) (field_identifier) (operator_name)] @name)))
    (declaration
      declarator: (reference_declarator
        (function_declarator
          declarator: [(identifier) (field_identifier) (operator_name)] @name)))
  ] @definition.function
  (#match? @doc "^(/[*][*!]|//[/!])")
  (#not-match? @doc "^(/[*][*!]|//[/!])<"))

((comment) @doc
  .
  (template_declaration
    [
      (declaration
        declarator: (function_declarator
          declarator: [(identifier) (field_identifier) (operator_name)] @name))
      (declaration
        declarator: (pointer_declarator
          declarator: (function_declarator
            declarator: [(identifier) (field_identifier) (operator_name)] @name)))
      (declaration
        declarator: (reference_declarator
          (function_declarator
            declarator: [(identifier) (field_identifier) (operator_name)] @name)))
    ] @definition.function)
  (#match? @doc "^(/[*][*!]|//[/!])")
  (#not-match? @doc "^(/[*][*!]|//[/!])<"))

(class_specifier
  name: [(type_identifier) (qualified_identifier)] @name
  body: (field_declaration_list)) @definition.class

(struct_specifier
  name: [(type_identifier) (qualified_identifier)] @name
  body: (field_declaration_list)) @definition.class

(union_specifier
  name: [(type_identifier) (qualified_identifier)] @name
  body: (field_declaration_list)) @definition.class

; Partial and full specialisations: `template <> class Box<bool> {...}` is named `Box`.
(class_specifier
  name: (template_type
    name: (type_identifier) @name)
  body: (field_declaration_list)) @definition.class

(struct_specifier
  name: (template_type
    name: (type_identifier) @name)
  body: (field_declaration_list)) @definition.class

(enum_specifier
  name: [(type_identifier) (qualified_identifier)] @name
  body: (enumerator_list)) @definition.class
