"""Keeping an index in step with its repository: update runs, embedding rounds, the watcher, status."""
