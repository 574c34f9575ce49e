"""Rehearsals: brake and release harmless canaries through the incident functions, and
prove the release exact (`apibrake rehearse`)."""
