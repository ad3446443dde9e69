"""Model access: the `ChatModel` protocol and factory (`base`), the OpenAI-compatible client
(`openai_compat`), recording fakes (`fakes`), the endpoint check (`check`) and prompts
(`prompts`). Only `base` is imported here, so `import interviewer.llm` stays cheap."""

from interviewer.llm.base import (
    CallInfo,
    ChatModel,
    Completion,
    Message,
    Role,
    make_chat_model,
)

__all__ = ["CallInfo", "ChatModel", "Completion", "Message", "Role", "make_chat_model"]
