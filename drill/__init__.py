"""The drill: the whole loop (watch, warn, brake, release) on the local stack, tick by tick."""
