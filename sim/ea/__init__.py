"""The EA side of BRIDGE.md, in Python: a reference client and a simulated Expert Advisor.

- `client`: the signed reference client; `wire`: the snapshot and ack bodies it sends.
- `simulator`: the EA's loop (snapshots, heartbeats, commands, acks); `commands`: what the EA
  does with each command.
"""
