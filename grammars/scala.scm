; Scala 2 and 3: classes, case classes, traits, objects and enums, their functions (methods:
; `Type.method`), abstract function declarations, and top-level functions. A Scala 3 `extension`
; is not a record; its functions are named plainly. Scaladoc `/** */` above a definition comes
; from the row's doc_comment_prefixes; annotations are inside the definition's range.

(class_definition
  name: (identifier) @name) @definition.class

(trait_definition
  name: (identifier) @name) @definition.class

(object_definition
  name: (identifier) @name) @definition.class

(enum_definition
  name: (identifier) @name) @definition.class

(function_definition
  name: (identifier) @name) @definition.function

(function_declaration
  name: (identifier) @name) @definition.function

(given_definition
  name: (identifier) @name) @definition.function
