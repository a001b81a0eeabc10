from __future__ import annotations

from bot.app import Core


async def test_linking_stores_the_secret_only_encrypted(core: Core) -> None:
    services = core.bot_services
    user = await services.users.resolve(42, "Ann", None, "es-AR")
    result = await services.links.link(user, 5012345, "Broker-Live")
    async with core.engine.connect() as connection:
        stored = (await connection.exec_driver_sql("SELECT secret_encrypted FROM devices")).scalar_one()
    assert user.language == "es"
    assert len(result.secret_hex) == 64
    assert result.secret_hex.encode() not in bytes(stored)
