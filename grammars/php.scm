; PHP: functions, classes, interfaces, traits, enums and their methods (Class::method).
; Methods of anonymous classes (`return new class extends Migration {...}`) are kept, qualified
; by whatever encloses them. PHPDoc `/** */` above comes from the language row's
; doc_comment_prefixes; `#[Attributes]` sit inside the declaration, after the PHPDoc.

(function_definition name: (name) @name) @definition.function

(class_declaration name: (name) @name) @definition.class
(interface_declaration name: (name) @name) @definition.class
(trait_declaration name: (name) @name) @definition.class
(enum_declaration name: (name) @name) @definition.class

(method_declaration name: (name) @name) @definition.method
