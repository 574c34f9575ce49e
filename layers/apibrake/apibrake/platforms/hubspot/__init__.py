"""HubSpot account-info and Automation v4 client.

Empty on purpose: import the module you need (`...hubspot.client`, `...hubspot.flows`),
so that reading a helper does not load the whole client.
"""
