; Kotlin: classes, interfaces, enum classes, objects and companion objects' functions, functions
; (members are methods: `Type.method`), secondary constructors, and extension functions, which
; are qualified by their receiver type (`fun String.shout()` -> `String.shout`). KDoc `/** */`
; above a declaration comes from the row's doc_comment_prefixes; annotations are part of the
; declaration's modifiers, so they are inside its range already.

(class_declaration
  name: (identifier) @name) @definition.class

(object_declaration
  name: (identifier) @name) @definition.class

(function_declaration
  name: (identifier) @name) @definition.function

(function_declaration
  (user_type) @receiver
  .
  "."
  .
  name: (identifier) @name) @definition.function

(secondary_constructor
  "constructor" @name) @definition.function
