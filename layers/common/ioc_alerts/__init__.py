"""IOC Alerts: data alerts of a provincial monitoring and operations centre (IOC).

The package is the shared Lambda layer; its pure core (rules, routing, render) imports
nothing from AWS so the dry run and the tests can run it directly.
"""

__version__ = "0.1.0"
