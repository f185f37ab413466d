"""The region's register of apps (the Diskominfo's inventory) and its yearly integration roadmap.

The gateway uses it (a provider or client is an app of the register); it is not part of it.
"""
