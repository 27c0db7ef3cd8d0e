// The chat page, enhanced: answers stream in as they are written (server-sent events over POST), follow-ups
// and feedback work in place. Without JavaScript every form still posts and the page reloads.
import { fetchEventSource } from "./vendor/fetch-event-source/index.js";

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const form = document.getElementById("chat-form");
const box = document.getElementById("message");
const messages = document.getElementById("answer");
const status = document.getElementById("chat-status");
const conversation = form?.querySelector('input[name="conversation_id"]');
let busy = false;

class StreamError extends Error {}

function bubble(role, text) {
  const element = document.createElement("div");
  element.className = `message message-${role}`;
  const who = document.createElement("div");
  who.className = "who";
  who.textContent = role === "user" ? "You" : "Advisor";
  const body = document.createElement(role === "user" ? "p" : "div");
  body.className = role === "user" ? "user-text" : "answer streaming";
  body.textContent = text;
  element.append(who, body);
  messages.append(element);
  return element;
}

async function problem(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((item) => item.msg).join("; ");
  } catch (error) {
    // not JSON: fall through to the status line
  }
  return `the server answered ${response.status} ${response.statusText}`;
}

// The "Reading this as" form, read into the `understood` override the API takes.
function correctedReading(readingForm) {
  const field = (name) => readingForm.querySelector(`[name="${name}"]`)?.value.trim() ?? "";
  const [start, end] = field("period").split("..").map((part) => part.trim());
  const filters = {};
  if (field("filter_dimension") && field("filter_value")) filters[field("filter_dimension")] = field("filter_value");
  return {
    intent: field("intent"),
    metrics: field("metric") ? [field("metric")] : [],
    filters,
    by: field("by") || null,
    period: start && end ? { start, end } : null,
  };
}

async function ask(text, understood = null) {
  if (busy || !text.trim()) return;
  busy = true;
  form.querySelector('button[type="submit"]').disabled = true;
  status.textContent = "The advisor is writing…";
  messages.querySelector(".starters")?.remove();
  bubble("user", text);
  const reply = bubble("advisor", "");
  const answer = reply.querySelector(".answer");
  answer.setAttribute("aria-busy", "true");
  box.value = "";
  let finished = false;
  try {
    await fetchEventSource("/chat/stream", {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrftoken": csrfToken },
      body: JSON.stringify({ message: text, conversation_id: conversation.value || null, understood }),
      openWhenHidden: true,
      async onopen(response) {
        if (!response.ok) throw new StreamError(await problem(response));
      },
      onmessage(event) {
        const data = JSON.parse(event.data);
        if (event.event === "token") {
          answer.textContent += data.text;
        } else if (event.event === "turn") {
          finished = true;
          reply.outerHTML = data.html; // rendered and sanitised by the server's own template
          conversation.value = data.conversation_id;
          document.querySelectorAll('input[name="conversation_id"]').forEach((input) => {
            input.value = data.conversation_id;
          });
          history.replaceState(null, "", `${location.pathname}?c=${encodeURIComponent(data.conversation_id)}#turn-${data.turn_id}`);
        }
      },
      onclose() {
        if (!finished) throw new StreamError("the answer stopped before it was finished");
      },
      onerror(error) {
        throw error; // no silent retries: say what happened
      },
    });
    status.textContent = "";
  } catch (error) {
    answer.classList.remove("streaming");
    answer.textContent = `Sorry, no answer: ${error.message}. Please try again.`;
    status.textContent = "";
  } finally {
    answer.removeAttribute("aria-busy");
    busy = false;
    form.querySelector('button[type="submit"]').disabled = false;
    box.focus();
  }
}

async function sendFeedback(feedbackForm, submitter) {
  const statusLine = feedbackForm.querySelector(".feedback-status");
  const response = await fetch(feedbackForm.action, {
    method: "POST",
    headers: { accept: "application/json", "x-csrftoken": csrfToken },
    body: new URLSearchParams(new FormData(feedbackForm, submitter)),
  });
  if (!response.ok) {
    statusLine.textContent = `Not saved: ${await problem(response)}`;
    return;
  }
  statusLine.textContent = (await response.json()).message;
  feedbackForm.querySelectorAll("button").forEach((button) => {
    button.disabled = true;
  });
}

if (form && messages) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(box.value);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      ask(box.value);
    }
  });
  messages.addEventListener("submit", (event) => {
    const target = event.target;
    if (target.classList.contains("js-follow-up")) {
      event.preventDefault();
      ask(target.querySelector('input[name="message"]').value);
    } else if (target.classList.contains("js-reask")) {
      event.preventDefault();
      ask(target.querySelector('input[name="message"]').value, correctedReading(target));
    } else if (target.classList.contains("js-feedback")) {
      event.preventDefault();
      sendFeedback(target, event.submitter);
    }
  });
  if (form.dataset.autoask === "true" && box.value.trim()) {
    history.replaceState(null, "", location.pathname);
    ask(box.value);
  }
}
