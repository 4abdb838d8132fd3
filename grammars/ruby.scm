; Ruby: classes and modules (Outer::Inner), instance methods (Class#method), singleton methods
; (`def self.x` and methods inside `class << self`: Class.x) and top-level functions.
; Contiguous `#` comments directly above come from the language row's doc_comment_prefixes;
; `private def x` is a call around the method, so the row lists it as a wrapper.

((class name: [(constant) (scope_resolution)] @name) @definition.class
 (#set! separator "::"))

((module name: [(constant) (scope_resolution)] @name) @definition.class
 (#set! separator "::"))

(method name: (_) @name) @definition.function

((singleton_method object: (self) name: (_) @name) @definition.method
 (#set! separator "."))

; `def obj.x` on another object: qualified by the enclosing name like an instance method.
(singleton_method object: [(identifier) (constant)] name: (_) @name) @definition.method

((singleton_class
   value: (self)
   body: (body_statement (method name: (_) @name) @definition.method))
 (#set! separator "."))
