"""The composition root: settings, AWS clients, warm-container caches and the functions'
assembly. Only handlers, the drill, the CLI and tests import from here; domain code never
does."""
