"""The servers the project is measured against, run in the same benchmark invocation."""
