; Bash and POSIX sh: functions (`name() { ... }` and `function name { ... }`). The `#` comment block
; directly above a function is its doc (the row's doc_comment_prefixes); a shebang or a
; `# shellcheck` directive above it belongs to it without being doc.

(function_definition
  name: (word) @name) @definition.function
