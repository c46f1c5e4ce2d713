"""The `charter` command."""
