"""A stateful local simulator of the Salesforce and HubSpot REST APIs apibrake calls.

Serves real HTTP on 127.0.0.1 with a virtual clock, usage counters, the causal model of
who spends the calls (automations change records; HubSpot's connector, integrations and
workflows' custom code call the APIs: docs/platform-notes.md S6), fault
injection and an audit list of every mutation. Used by the tests,
the drill and by users rehearsing an incident (`python -m sandbox`).
"""
