"""The long-running search server on a local socket."""
