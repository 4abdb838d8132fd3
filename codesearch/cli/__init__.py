"""The entry points: the click commands, the warm ask path (no click, no torch), rendering for people, the MCP entry.

Imports nothing: ``codesearch.cli.commands.entry`` must load neither click nor the commands when a running
server can answer (see cli/warm_ask.py)."""
