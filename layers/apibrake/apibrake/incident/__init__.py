"""The incident core: journal, adapters and the one engine brake and release both run."""
