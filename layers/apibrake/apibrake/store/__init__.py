"""Persistence: one store per DynamoDB table. Clients are passed in, never created here."""
