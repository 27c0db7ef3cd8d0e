"""The chat API: ask (whole answer or server-sent events), each person's conversations, feedback on answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from advisor.access import Permission, Principal
from advisor.conversation import ChatToken
from advisor.models import AnswerFeedback, ChatAnswer, ChatTurn, Understood
from web.dependencies import AdvisorDep
from web.security import require

router = APIRouter(prefix="/api", tags=["chat"])

ChatterDep = Annotated[Principal, Depends(require(Permission.CHAT))]
CONVERSATION_ID = r"^[A-Za-z0-9_-]+$"


class ChatRequest(BaseModel):
    message: str = Field(max_length=20_000)
    conversation_id: str | None = Field(default=None, max_length=64, pattern=CONVERSATION_ID)
    #: Replaces the advisor's reading of the message (what "Reading this as" shows), to correct it.
    understood: Understood | None = None


class FeedbackRequest(BaseModel):
    turn_id: int = Field(ge=1, description="the answer's `turn_id`")
    helpful: bool
    comment: str | None = Field(default=None, max_length=2000)


@router.post("/chat")
def chat(request: ChatRequest, advisor: AdvisorDep, principal: ChatterDep) -> ChatAnswer:
    """One cited answer, kept in the caller's conversation history, with `understood`: how the question was
    read. Send `understood` back (changed) to have the question answered as you meant it."""
    return advisor.chat(
        request.message, request.conversation_id, user=principal.username, understood=request.understood
    )


@router.post("/chat/stream", response_class=EventSourceResponse)
def chat_stream(
    request: ChatRequest, advisor: AdvisorDep, principal: ChatterDep
) -> Iterator[ServerSentEvent]:
    """`token` events as the answer is written, then one `answer` event with the whole ChatAnswer."""
    if request.conversation_id:  # someone else's conversation fails here, before the stream starts
        advisor.conversation(request.conversation_id, user=principal.username)
    for event in advisor.chat_stream(
        request.message, request.conversation_id, user=principal.username, understood=request.understood
    ):
        if isinstance(event, ChatToken):
            yield ServerSentEvent(event="token", data={"text": event.text})
        else:
            yield ServerSentEvent(event="answer", data=event.model_dump(mode="json"))


@router.get("/conversations")
def conversations(
    advisor: AdvisorDep, principal: ChatterDep, limit: Annotated[int, Query(ge=1, le=200)] = 30
) -> dict[str, Any]:
    """The caller's conversations, the most recent first."""
    found = advisor.conversation_history(user=principal.username, limit=limit)
    return {"conversations": [summary.model_dump(mode="json") for summary in found]}


@router.get("/conversations/{conversation_id}")
def conversation(
    conversation_id: Annotated[str, Path(max_length=64, pattern=CONVERSATION_ID)],
    advisor: AdvisorDep,
    principal: ChatterDep,
) -> list[ChatTurn]:
    """The turns of one of the caller's conversations."""
    return advisor.conversation(conversation_id, user=principal.username)


@router.delete("/conversations/{conversation_id}", status_code=204)
def delete_conversation(
    conversation_id: Annotated[str, Path(max_length=64, pattern=CONVERSATION_ID)],
    advisor: AdvisorDep,
    principal: ChatterDep,
) -> None:
    """Remove one of the caller's conversations, with its answers and the feedback on them."""
    advisor.delete_conversation(conversation_id, user=principal.username)


@router.post("/chat/feedback")
def feedback(request: FeedbackRequest, advisor: AdvisorDep, principal: ChatterDep) -> AnswerFeedback:
    """Helpful or not, with an optional comment; a helpful answer counts as a reuse of what it cited."""
    return advisor.answer_feedback(
        request.turn_id, helpful=request.helpful, comment=request.comment, user=principal.username
    )
