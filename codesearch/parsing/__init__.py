"""Source discovery and tree-sitter extraction of functions, methods and classes."""
