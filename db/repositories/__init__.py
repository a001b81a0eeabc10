"""The SQL behind core.services.ports, one module per aggregate (db.uow wires them). All SQL lives in
this package; each repository works inside one AsyncSession, one unit of work, and returns domain
objects.

Hot-path writes are prebuilt Core statements executed with parameters: compiled once and cached, without
the ORM's bulk-insert machinery (a third of a snapshot's CPU before this)."""
