"""The chat page: ask (streamed by chat.js, or a plain form without JavaScript), history, feedback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from advisor.access import Permission, Principal
from advisor.conversation import ChatToken
from advisor.homes import focus_view
from advisor.models import ChatAnswer, ChatTurn
from advisor.reading import INTENT_LABELS, corrected_reading
from advisor.vocabulary import DRILLDOWN_DIMENSIONS
from metrics.definitions import METRICS
from metrics.errors import MetricsError
from web.dependencies import AdvisorDep, TemplatesDep
from web.navigation import home_path
from web.routes.chat_api import CONVERSATION_ID, ChatRequest
from web.security import require

router = APIRouter(include_in_schema=False)

ChatterDep = Annotated[Principal, Depends(require(Permission.CHAT))]
ConversationForm = Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")]
#: What an empty chat offers to ask: a manager's, a new agent's and a leader's first question.
STARTERS = (
    "What should we improve next?",
    "How do I fix a failed bank feed sync?",
    "Show the status of our recommendations",
)
#: Kinds of cited source that can be marked "this solved it".
SOLVABLE_KINDS = frozenset({"article", "solution", "case", "document"})


ConversationQuery = Annotated[str | None, Query(max_length=64, pattern=CONVERSATION_ID)]
AskQuery = Annotated[str | None, Query(max_length=4000)]


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    principal: ChatterDep,
    c: ConversationQuery = None,
    ask: AskQuery = None,
) -> Response:
    """Each role's home (web.navigation): the advisor for managers and admins, else a redirect to theirs. A
    conversation or a question in the address (`?c=`, `?ask=`) always opens the chat."""
    target = home_path(principal)
    if target != "/" and c is None and ask is None:
        return RedirectResponse(target, status_code=303)
    return chat_page(request, advisor, templates, principal, c, ask)


@router.get("/chat", response_class=HTMLResponse)
def chat_page(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    principal: ChatterDep,
    c: ConversationQuery = None,
    ask: AskQuery = None,
) -> Response:
    """The chat with the person's history, beside their team's (else the organisation's) weak metrics, the
    scorecard summary and the next steps."""
    user = principal.username
    focus = focus_view(advisor, principal.team) if principal.can(Permission.VIEW_SCORECARD) else None
    context = {
        "scorecard": advisor.scorecard() if focus is not None and focus.team is None else None,
        "focus": focus,
        "recommendations": (focus.next_steps if focus else advisor.next_steps(limit=3))
        if principal.can(Permission.VIEW_RECOMMENDATIONS)
        else [],
        "conversation_id": c or "",
        "messages": advisor.conversation(c, user=user) if c else [],
        "history": advisor.conversation_history(user=user),
        "ask": ask or "",
        "starters": STARTERS,
        "solvable": SOLVABLE_KINDS,
        **reading_choices(),
    }
    return templates.TemplateResponse(request, "index.html", context)


ShortForm = Annotated[str, Form(max_length=200)]


@router.post("/chat")
def chat_form(
    advisor: AdvisorDep,
    principal: ChatterDep,
    message: Annotated[str, Form(max_length=20_000)],
    conversation_id: ConversationForm = "",
    intent: ShortForm = "",
    metric: ShortForm = "",
    filter_dimension: ShortForm = "",
    filter_value: ShortForm = "",
    by: ShortForm = "",
    period: ShortForm = "",
) -> Response:
    """The plain form (no JavaScript): answer, then show the conversation (post/redirect/get). With the
    "Reading this as" fields (`intent` and the others), the question is answered as corrected."""
    understood = None
    if intent:
        try:
            understood = corrected_reading(
                intent=intent,
                metric=metric,
                filter_dimension=filter_dimension,
                filter_value=filter_value,
                by=by,
                period=period,
            )
        except (ValueError, MetricsError) as error:
            raise HTTPException(status_code=422, detail=f"cannot read the correction: {error}") from None
    answer = advisor.chat(message, conversation_id or None, user=principal.username, understood=understood)
    return RedirectResponse(f"/?c={answer.conversation_id}#turn-{answer.turn_id}", status_code=303)


@router.post("/chat/stream", response_class=EventSourceResponse)
def chat_stream(
    body: ChatRequest, request: Request, advisor: AdvisorDep, templates: TemplatesDep, principal: ChatterDep
) -> Iterator[ServerSentEvent]:
    """What chat.js reads: `token` events as the answer is written, then the finished turn as HTML,
    rendered by the same template as the page (escaped and sanitised)."""
    user = principal.username
    if body.conversation_id:
        advisor.conversation(body.conversation_id, user=user)
    for event in advisor.chat_stream(
        body.message, body.conversation_id, user=user, understood=body.understood
    ):
        if isinstance(event, ChatToken):
            yield ServerSentEvent(event="token", data={"text": event.text})
            continue
        yield ServerSentEvent(event="turn", data=_rendered_turn(request, templates, event, body.message))


def _rendered_turn(
    request: Request, templates: TemplatesDep, answer: ChatAnswer, question: str
) -> dict[str, Any]:
    turn = ChatTurn(
        id=answer.turn_id,
        role="advisor",
        text=answer.answer,
        citations=answer.citations,
        intent=answer.intent,
        understood=answer.understood,
        flags=answer.flags,
        follow_ups=answer.follow_ups,
    )
    html = templates.get_template("_turn.html").render(
        request=request,
        turn=turn,
        question=question,
        conversation_id=answer.conversation_id,
        solvable=SOLVABLE_KINDS,
        **reading_choices(),
    )
    return {
        "conversation_id": answer.conversation_id,
        "turn_id": answer.turn_id,
        "html": html,
        "understood": answer.understood.model_dump(mode="json") if answer.understood else None,
    }


def reading_choices() -> dict[str, Any]:
    """What the "Reading this as" form offers: the intents, the metrics and the dimensions."""
    return {
        "intent_choices": INTENT_LABELS,
        "metric_choices": {metric.id: metric.name for metric in METRICS},
        "dimension_choices": DRILLDOWN_DIMENSIONS,
    }


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/chat/conversations/{conversation_id}/delete")
def delete_conversation_form(
    conversation_id: Annotated[str, Path(max_length=64, pattern=CONVERSATION_ID)],
    advisor: AdvisorDep,
    principal: ChatterDep,
) -> Response:
    """Remove one of the person's conversations, then back to a new one."""
    advisor.delete_conversation(conversation_id, user=principal.username)
    return RedirectResponse("/" if home_path(principal) == "/" else "/chat", status_code=303)


@router.post("/chat/feedback")
def feedback_form(
    request: Request,
    advisor: AdvisorDep,
    principal: ChatterDep,
    turn_id: Annotated[int, Form(ge=1)],
    helpful: Annotated[bool, Form()],
    conversation_id: ConversationForm = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Helpful or not on one answer (JSON for chat.js, else back to the conversation)."""
    advisor.answer_feedback(turn_id, helpful=helpful, comment=comment or None, user=principal.username)
    if _wants_json(request):
        return JSONResponse({"turn_id": turn_id, "message": "Thank you: your feedback is kept."})
    return RedirectResponse(f"/?c={conversation_id}#turn-{turn_id}", status_code=303)


@router.post("/chat/solved")
def solved_form(
    request: Request,
    advisor: AdvisorDep,
    principal: ChatterDep,
    document_id: Annotated[str, Form(min_length=1, max_length=500)],
    conversation_id: ConversationForm = "",
    turn_id: Annotated[int, Form(ge=0)] = 0,
) -> Response:
    """ "This solved it" on a cited solution or article: its reuse count goes up (the KCS measure)."""
    count = advisor.record_feedback(document_id, "solved", user=principal.username)
    if _wants_json(request):
        return JSONResponse(
            {
                "document_id": document_id,
                "reuse_count": count,
                "message": f"Marked as solved (reused {count}×).",
            }
        )
    return RedirectResponse(f"/?c={conversation_id}#turn-{turn_id}", status_code=303)
