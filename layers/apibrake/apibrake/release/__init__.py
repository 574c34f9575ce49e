"""Release: put back exactly what an incident's brake changed, once the window recovered."""
