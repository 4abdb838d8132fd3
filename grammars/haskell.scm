; Haskell: top-level functions and bindings, data types, newtypes, type classes (their method
; signatures and default methods are methods: `Class.method`), and instance methods (named
; plainly). A function written as several equations is one record (the row's merges_clauses),
; and its type signature directly above belongs to it (a loose @attribute). Haddock comments
; (`-- |`, `{-| -}`) directly above are its doc (a loose @doc: tree-sitter-haskell gives them their
; own node type). Names are plain: the module header does not enclose the declarations.

(haddock) @doc

(declarations
  (signature) @attribute)

(declarations
  (function name: (variable) @name) @definition.function)

(declarations
  (bind name: (variable) @name) @definition.function)

(data_type
  name: (name) @name) @definition.class

(newtype
  name: (name) @name) @definition.class

(class
  name: (name) @name) @definition.class

(class_declarations
  (signature name: (variable) @name) @definition.function)

(class_declarations
  (function name: (variable) @name) @definition.function)

(instance_declarations
  (function name: (variable) @name) @definition.function)

; `{-# INLINE f #-}` between a signature and its equations belongs to the function too.
(declarations
  (pragma) @attribute)
