; Elixir: modules, protocols and implementations (`defmodule`, `defprotocol`, `defimpl`), and the
; functions, macros, guards and delegates defined in them (`def`, `defp`, `defmacro`, ...),
; qualified as Elixir writes them: `MyApp.Cache.fetch/2` (the row appends the arity, counted from
; the @parameters). Clauses of one function (`def f(0)`, `def f(n)`) are one record (the row's
; merges_clauses). Docs are attributes before the definition: `@doc "..."` is captured here as a
; loose @doc (a doc for the definition after it), `@spec`, `@impl` and `@doc false` as loose
; attributes (part of its text, not its doc); `@moduledoc` inside a module is the module's doc.

((call
  target: (identifier) @_keyword
  (arguments . (alias) @name)) @definition.class
 (#any-of? @_keyword "defmodule" "defprotocol"))

((call
  target: (identifier) @_keyword
  (arguments . (alias) @name)
  (do_block
    (unary_operator
      operator: "@"
      operand: (call
        target: (identifier) @_attribute
        (arguments . [(string) (sigil)]))) @doc)) @definition.class
 (#any-of? @_keyword "defmodule" "defprotocol")
 (#eq? @_attribute "moduledoc"))

; `defimpl Proto, for: Type`: the implementation is named by its protocol.
((call
  target: (identifier) @_keyword
  (arguments . (alias) @name)) @definition.class
 (#eq? @_keyword "defimpl"))

; def name(args), def name(args) when guard, and zero-arity def name
((call
  target: (identifier) @_keyword
  (arguments
    .
    [
      (call target: (identifier) @name (arguments)? @parameters)
      (binary_operator
        left: (call target: (identifier) @name (arguments)? @parameters)
        operator: "when")
      (identifier) @name
    ])) @definition.function
 (#any-of? @_keyword "def" "defp" "defmacro" "defmacrop" "defguard" "defguardp" "defdelegate" "defn" "defnp"))

((unary_operator
  operator: "@"
  operand: (call
    target: (identifier) @_attribute
    (arguments . [(string) (sigil)]))) @doc
 (#eq? @_attribute "doc"))

((unary_operator
  operator: "@"
  operand: (call
    target: (identifier) @_attribute)) @attribute
 (#any-of? @_attribute "spec" "impl" "doc" "deprecated" "decorate" "dialyzer" "since"))
