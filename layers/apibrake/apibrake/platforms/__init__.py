"""Each platform's API knowledge in one place: auth, error bodies, endpoints."""
