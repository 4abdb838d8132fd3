; Rust: functions, methods (functions in an impl or trait), structs, enums, unions, traits and
; macro_rules! macros. Doc comments (`///`, `/** */`) above an item, with `#[...]` attributes
; between them, come from the row's doc_comment_prefixes and attribute_node_types; `//!` inner docs
; document the enclosing module and are never attached to the item after them.

; impl blocks are not records: they name the type their functions belong to (`Type::fn`), for
; inherent impls and `impl Trait for Type` alike; generic arguments are stripped by the engine
; and paths keep only their last segment (`impl fmt::Display for a::B` -> `B`).
(impl_item
  type: [
    (type_identifier) @name
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
    (primitive_type) @name
    (reference_type type: (type_identifier) @name)
    (reference_type type: (primitive_type) @name)
    (reference_type type: (generic_type type: (type_identifier) @name))
    (reference_type type: (scoped_type_identifier name: (type_identifier) @name))
    (dynamic_type trait: (type_identifier) @name)
    (bounded_type (dynamic_type trait: (type_identifier) @name))
    ; slices and arrays keep their written form: `[T]::len`
    (array_type) @name
    (reference_type type: (array_type) @name)
  ]) @scope

; Trait impls for tuples, pointers, function types and `!` have no type name to speak of: their
; functions are named by the trait (`impl InputLength for (&[u8], usize)` -> `InputLength::input_len`).
(impl_item
  trait: [
    (type_identifier) @name
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
  ]
  type: [(tuple_type) (pointer_type) (function_type) (never_type) (unit_type)]) @scope

; `mod name { ... }` qualifies what is inside (`name::f`) without making functions methods.
(mod_item
  name: (identifier) @name
  body: (declaration_list)) @namespace

(function_item
  name: (identifier) @name) @definition.function

; Required trait methods (no body) are records too: the trait is the only place their contract
; and docs are written, and impls of them are separate records.
(trait_item
  body: (declaration_list
    (function_signature_item
      name: (identifier) @name) @definition.function))

(struct_item
  name: (type_identifier) @name) @definition.class

(enum_item
  name: (type_identifier) @name) @definition.class

(union_item
  name: (type_identifier) @name) @definition.class

(trait_item
  name: (type_identifier) @name) @definition.class

(macro_definition
  name: (identifier) @name) @definition.function
