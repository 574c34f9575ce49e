"""Watch: read each connection's daily API usage, keep the readings, forecast the breach."""
