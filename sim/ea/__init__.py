"""The EA side of BRIDGE.md, in Python: a reference client and a simulated Expert Advisor."""
