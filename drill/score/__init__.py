"""The containment score: runaway scenarios run through the drill engine, each scored on
whether the brake landed before the platform refused calls, and at what cost."""
