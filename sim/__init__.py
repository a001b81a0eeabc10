"""What simulates the outside world: never imported by the service (`tradeguard run`).

- `sim.telegram`: a Bot API stand-in on loopback that behaves like Telegram.
- `sim.ea`: the reference bridge client (BRIDGE.md in Python) and a simulated Expert Advisor.
- `sim.scenarios`: scripted and replayed markets (`sim/data/`: real ticks and bars).
- `sim.demo`: the offline tour `tradeguard demo` prints.
"""
