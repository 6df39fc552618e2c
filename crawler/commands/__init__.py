"""`dca` subcommands that live in their own modules; crawler/cli.py registers them."""
