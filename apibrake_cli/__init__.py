"""The apibrake command-line tool: set up, watch, brake and release from a terminal."""
