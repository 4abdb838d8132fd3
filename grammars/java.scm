; Java: classes, interfaces, enums, records and annotation types; methods and constructors of
; named types (qualified Outer.Inner.method). Methods of anonymous classes and of enum constant
; bodies are left to the record that contains them, which has no name to qualify them by.
; Javadoc `/** */` above comes from the language row's doc_comment_prefixes: annotations sit
; inside the declaration's modifiers, so the Javadoc is the declaration's previous sibling.

(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.class
(enum_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.class

(class_declaration
  body: (class_body
    [(method_declaration name: (identifier) @name)
     (constructor_declaration name: (identifier) @name)] @definition.method))

(record_declaration
  body: (class_body
    [(method_declaration name: (identifier) @name)
     (constructor_declaration name: (identifier) @name)
     (compact_constructor_declaration name: (identifier) @name)] @definition.method))

(interface_declaration
  body: (interface_body (method_declaration name: (identifier) @name) @definition.method))

(enum_declaration
  body: (enum_body
    (enum_body_declarations
      [(method_declaration name: (identifier) @name)
       (constructor_declaration name: (identifier) @name)] @definition.method)))
