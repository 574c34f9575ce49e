"""apibrake: watch, warn, brake and release for Salesforce and HubSpot API limits."""

__version__ = "0.1.0"
