"""Salesforce REST and Tooling API client.

Empty on purpose: import the module you need (`...salesforce.client`, `...salesforce.models`),
so that reading a constant does not load the client, its auth and the JWT/crypto libraries.
"""
