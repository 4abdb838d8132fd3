; C#: classes, structs, interfaces, records and enums; methods, constructors, properties with
; code, and local functions. `///` XML doc comments above come from the row's
; doc_comment_prefixes (attributes sit inside the declaration, so nothing stands between them).
;
; Namespaces do not qualify names: a file-scoped `namespace A.B;` is a sibling of the types after
; it, not their parent, so only block namespaces could be followed; qualified names read
; `Class.Method` (`Outer.Inner.Method`) whichever form a file uses, as Java's do.
; Not records: auto-properties (`{ get; set; }`, a field in all but name), fields, events,
; indexers, operators, finalizers and delegates.

(class_declaration
  name: (identifier) @name) @definition.class

(struct_declaration
  name: (identifier) @name) @definition.class

(interface_declaration
  name: (identifier) @name) @definition.class

(record_declaration
  name: (identifier) @name) @definition.class

(enum_declaration
  name: (identifier) @name) @definition.class

; Bodiless interface and abstract methods are records too: they are where the contract and its
; docs are written, and their implementations are separate records.
(method_declaration
  name: (identifier) @name) @definition.function

(constructor_declaration
  name: (identifier) @name) @definition.function

(local_function_statement
  name: (identifier) @name) @definition.function

; Properties with code: `int Count => items.Count;` or an accessor with a body.
(property_declaration
  name: (identifier) @name
  value: (arrow_expression_clause)) @definition.function

(property_declaration
  name: (identifier) @name
  accessors: (accessor_list
    (accessor_declaration
      body: (_)))) @definition.function
