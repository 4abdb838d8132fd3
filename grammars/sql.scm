; SQL (many dialects, one grammar): functions and procedures, and the tables, views and types
; they work on, named without their schema. The `--` comment block directly above a statement is
; its doc (the row's doc_comment_prefixes; `statement` is the wrapper whose range counts).

(create_function
  (object_reference name: (identifier) @name)) @definition.function

(create_procedure
  (object_reference name: (identifier) @name)) @definition.function

(create_table
  (object_reference name: (identifier) @name)) @definition.class

(create_view
  (object_reference name: (identifier) @name)) @definition.class

(create_materialized_view
  (object_reference name: (identifier) @name)) @definition.class

(create_type
  (object_reference name: (identifier) @name)) @definition.class
