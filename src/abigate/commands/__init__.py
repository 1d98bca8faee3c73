"""One module per subcommand, imported lazily by ``abigate.cli``."""
