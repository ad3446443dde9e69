"""The `interviewer` command (`cli.main`) and its subcommands (`cli/commands/`)."""
