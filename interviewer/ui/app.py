import chainlit as cl


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="hello").send()
