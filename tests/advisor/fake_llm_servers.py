"""Local HTTP servers that speak the OpenAI chat-completions and Ollama chat protocols (streaming included).

It answers every request with the scripted text (or the scripted HTTP error) and keeps the requests it got,
so tests can check what the advisor sent without patching LangChain. The OpenAI fake can also answer with
tool calls: each entry of `Script.turns` answers one request, a list of calls ({"name", "arguments"}) as
tool calls and a string as text; when they run out, `reply` answers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass
class Script:
    reply: str = "Hello."
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    turns: list[str | list[dict[str, Any]]] = field(default_factory=list)


def _app(script: Script) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Response:
        body = await request.json()
        script.requests.append(body)
        if script.status != 200:
            return JSONResponse(
                {"error": {"message": "scripted failure", "type": "server_error"}}, status_code=script.status
            )
        created = int(time.time())
        turn = script.turns.pop(0) if script.turns else script.reply
        if isinstance(turn, list):
            return _tool_calls(body, turn, created)
        reply = turn
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": created, "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )  # fmt: skip

        async def events() -> AsyncIterator[str]:
            def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
                payload = {
                    "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": created, "model": body["model"],
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }  # fmt: skip
                return f"data: {json.dumps(payload)}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            words = reply.split(" ")
            for number, word in enumerate(words):
                yield chunk({"content": word + (" " if number < len(words) - 1 else "")})
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def _tool_calls(body: dict[str, Any], calls: list[dict[str, Any]], created: int) -> Response:
    """The model asks for tools: streamed as OpenAI tool-call deltas (or one message when not streaming)."""
    tool_calls = [
        {
            "index": index,
            "id": f"call_{index}_{created}",
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
        }
        for index, call in enumerate(calls)
    ]
    if not body.get("stream"):
        message = {"role": "assistant", "content": None, "tool_calls": [
            {key: value for key, value in call.items() if key != "index"} for call in tool_calls
        ]}  # fmt: skip
        return JSONResponse(
            {
                "id": "chatcmpl-test", "object": "chat.completion", "created": created, "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            }
        )  # fmt: skip

    async def events() -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            payload = {
                "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": created, "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }  # fmt: skip
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": None, "tool_calls": tool_calls})
        yield chunk({}, "tool_calls")
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def _ollama_app(script: Script) -> FastAPI:
    """The Ollama chat protocol: `POST /api/chat`, answered as newline-delimited JSON when streaming."""
    app = FastAPI()

    @app.post("/api/chat")
    async def chat(request: Request) -> Response:
        body = await request.json()
        script.requests.append(body)
        if script.status != 200:
            return JSONResponse({"error": "scripted failure"}, status_code=script.status)
        stamp = "2026-11-22T10:00:00Z"

        def line(content: str, done: bool) -> str:
            payload: dict[str, Any] = {
                "model": body["model"], "created_at": stamp,
                "message": {"role": "assistant", "content": content}, "done": done,
            }  # fmt: skip
            if done:
                payload |= {
                    "done_reason": "stop",
                    "total_duration": 1,
                    "prompt_eval_count": 1,
                    "eval_count": 1,
                }
            return json.dumps(payload) + "\n"

        if not body.get("stream", True):
            return Response(line(script.reply, True), media_type="application/json")

        async def lines() -> AsyncIterator[str]:
            words = script.reply.split(" ")
            for number, word in enumerate(words):
                yield line(word + (" " if number < len(words) - 1 else ""), False)
            yield line("", True)

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    return app


@contextmanager
def fake_openai_server() -> Iterator[tuple[str, Script]]:
    """Serve the OpenAI fake on a free loopback port; yields its base URL (ending in /v1) and its script."""
    with _serve(_app) as (url, script):
        yield f"{url}/v1", script


@contextmanager
def fake_ollama_server() -> Iterator[tuple[str, Script]]:
    """Serve the Ollama fake on a free loopback port; yields its base URL and its script."""
    with _serve(_ollama_app) as served:
        yield served


@contextmanager
def _serve(make_app: Callable[[Script], FastAPI]) -> Iterator[tuple[str, Script]]:
    script = Script()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(make_app(script), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", script
    finally:
        server.should_exit = True
        thread.join(timeout=10)
