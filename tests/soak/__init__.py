"""`make soak`: a month of simulated days against the local stack (see run.py)."""
