"""The chat answer as server-sent events: `token` events as it is written, then one `answer` event."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from advisor.access import Permission
from advisor.conversation import ChatToken
from web.dependencies import AdvisorDep
from web.routes.api import ChatRequest
from web.security import require

router = APIRouter()


@router.post(
    "/api/chat/stream",
    response_class=EventSourceResponse,
    dependencies=[Depends(require(Permission.CHAT))],
)
def chat_stream(request: ChatRequest, advisor: AdvisorDep) -> Iterator[ServerSentEvent]:
    for event in advisor.chat_stream(request.message, request.conversation_id):
        if isinstance(event, ChatToken):
            yield ServerSentEvent(event="token", data={"text": event.text})
        else:
            yield ServerSentEvent(event="answer", data=event.model_dump(mode="json"))
