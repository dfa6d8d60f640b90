"""CLI subcommands (thin adapters over the library)."""
