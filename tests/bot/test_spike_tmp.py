from tests.bot.conftest import Stack
async def test_spike(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "en")
    m = await stack.ask(ann, "/start")
    print(m.text)
