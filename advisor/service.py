"""The Advisor: the use cases the CLI and the web app call (scorecard, next steps, search, chat)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import get_args

from advisor.conversation import ChatResponder, ChatToken
from advisor.conversation_store import ConversationStore
from advisor.diagnosis import build_report, diagnose_metrics, practice_recommendation
from advisor.errors import UnknownPractice
from advisor.folder_results import FolderResults
from advisor.llm import Phraser
from advisor.models import (
    AnswerFeedback,
    ChatAnswer,
    ChatTurn,
    ChosenStep,
    ConversationSummary,
    DiagnosisReport,
    MeasurementGap,
    MetricOutcome,
    ProposeOption,
    Recommendation,
    RecommendationStatus,
    TrackedRecommendation,
    Understood,
)
from advisor.outcomes import (
    evidence_by_practice,
    judge_outcomes,
    solution_document,
    touched_groups,
)
from advisor.plan_proposing import choose_steps, propose_options, step_diagnoses
from advisor.plan_store import PlanStore
from advisor.ranking import measurement_gaps, rank_next_steps
from advisor.recommendation_store import RecommendationStore
from advisor.scoping import first_weak_target, scope_next_steps
from advisor.understanding import understand
from advisor.vocabulary import Vocabulary
from knowledge.documents import (
    DEFAULT_MAX_BYTES,
    article_document,
    case_document,
    folder_documents,
    practice_document,
    unique_documents,
)
from knowledge.errors import InvalidDocument
from knowledge.evaluation import Qrels, RetrievalScores, evaluate_retrievers
from knowledge.index import BuildReport, KnowledgeIndex, Progress
from knowledge.models import Document, FeedbackKind, Hit, Practice, SearchFilters, SearchMode
from metrics.definitions import METRICS_BY_ID
from metrics.drilldown import focus_on_group
from metrics.errors import MetricsError, UnknownMetric
from metrics.models import Diagnosis, Dimension, Period, Scorecard
from metrics.plausible import DateWindow
from metrics.scorecard import compute_scorecard
from metrics.series import SeriesPoint, metric_series
from metrics.store import OrganisationStore, open_store

#: Who chats when nobody is signed in (local single-user mode) or when the CLI asks.
LOCAL_USER = "local user"
#: Cited documents whose reuse count goes up when an answer citing them is marked helpful.
REUSABLE_KINDS = frozenset({"article", "solution", "document", "case"})
#: The ranked next steps one may choose from when proposing (the pages show the first five).
CHOOSABLE_STEPS = 10
#: Scorecards kept in memory (each period or drill-down asked for is computed once).
MAX_CACHED_SCORECARDS = 64


class Advisor:
    """Everything the edges need, built once by `build_advisor` and shared by requests."""

    def __init__(
        self,
        *,
        data_dir: Path,
        index: KnowledgeIndex,
        practices: Sequence[Practice],
        recommendations: RecommendationStore,
        conversations: ConversationStore,
        phraser: Phraser | None = None,
        min_group_size: int = 5,
        date_window: DateWindow | None = None,
        metrics_memory_bytes: int | None = None,
        metrics_spill_dir: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        #: The plausible dates (settings); None: metrics.plausible's default window.
        self.date_window = date_window
        #: What the scorecard's engine may hold in memory before it spills, and where (settings).
        self._memory = (metrics_memory_bytes, metrics_spill_dir)
        self.index = index
        self.recommendations = recommendations
        #: Each recommendation's plan: owner, due and review dates, checklist, comments.
        self.plans = PlanStore(recommendations)
        self.practices = {practice.id: practice for practice in practices}
        self.min_group_size = min_group_size
        self._stores: dict[Path, OrganisationStore] = {}
        self._signatures: dict[Path, tuple[object, ...]] = {}
        # keyed by (folder, period, baseline, by) and (folder, metric, period, baseline)
        self._scorecards = FolderResults[Scorecard](MAX_CACHED_SCORECARDS)
        self._diagnoses_cache = FolderResults[Diagnosis](MAX_CACHED_SCORECARDS)
        self.conversations = conversations
        self._chat = ChatResponder(self, phraser, conversations)
        self._lock = threading.Lock()
        self._indexing_lock = threading.Lock()

    # -- metrics -----------------------------------------------------------------------------------------
    def store(self, data_dir: Path | None = None) -> OrganisationStore:
        """The organisation's tables, loaded once and again whenever the folder's files change (an
        `advisor import` into the folder being served shows at the next request)."""
        path = (data_dir or self.data_dir).resolve()
        self._forget_if_changed(path)
        with self._lock:
            if path not in self._stores:
                memory_bytes, spill_dir = self._memory
                self._stores[path] = open_store(
                    path, window=self.date_window, memory_bytes=memory_bytes, spill_dir=spill_dir
                )
            return self._stores[path]

    def _forget_if_changed(self, path: Path) -> None:
        signature = _folder_signature(path)
        with self._lock:
            if self._signatures.get(path) == signature:
                return
            self._signatures[path] = signature
            self._drop(path)

    def reload_data(self, data_dir: Path | None = None) -> None:
        """Forget the loaded tables and scorecards of `data_dir` (all when None), after an import."""
        with self._lock:
            if data_dir is None:
                self._stores.clear()
                self._scorecards.forget()
                self._diagnoses_cache.forget()
                return
            self._drop(data_dir.resolve())

    def _drop(self, path: Path) -> None:
        """Forget `path`'s loaded tables, scorecards and diagnoses (the caller holds the lock)."""
        self._stores.pop(path, None)
        self._scorecards.forget(path)
        self._diagnoses_cache.forget(path)

    def scorecard(
        self,
        period: Period | None = None,
        data_dir: Path | None = None,
        *,
        baseline: Period | None = None,
        by: Dimension | None = None,
    ) -> Scorecard:
        """The scorecard for `period` against `baseline` (defaults: see `metrics.periods`), computed once.

        `by` adds a drill-down by team, product, channel or segment (small groups suppressed)."""
        key = ((data_dir or self.data_dir).resolve(), period, baseline, by)
        self._forget_if_changed(key[0])
        # Computed by one caller while concurrent ones wait: 50 chats asking at once compute it once.
        return self._scorecards.get_or_compute(
            key,
            lambda: compute_scorecard(
                self.store(data_dir), period, baseline=baseline, min_group_size=self.min_group_size, by=by
            ),
        )

    def warm_up(self) -> None:
        """Compute the default scorecard, its four drill-downs and the next steps (with the diagnoses that
        scope them) ahead of the first visitor: a metric's page shows all four drill-downs, the home page
        and "what should we improve next?" the next steps, and under load every early visitor would wait for
        them. Errors are left for the request that meets them."""
        try:
            for by in (None, *get_args(Dimension)):
                self.scorecard(by=by)
            self.next_steps()
        except (MetricsError, OSError):
            return

    def next_steps(
        self,
        period: Period | None = None,
        data_dir: Path | None = None,
        *,
        baseline: Period | None = None,
        limit: int = 5,
        focus: tuple[Dimension, str] | None = None,
    ) -> list[Recommendation]:
        """Ranked next steps, using the organisation's own measured outcomes as evidence.

        `focus` (a dimension and one of its groups, e.g. `("team", "Billing Desk")`) ranks them for that
        group alone, from its own figures in the drill-down."""
        evidence = evidence_by_practice(self.recommendations.list(organisation=self.organisation(data_dir)))
        if focus is not None:
            drilled = self.scorecard(period, data_dir, baseline=baseline, by=focus[0])
            ranked = rank_next_steps(
                focus_on_group(drilled, focus[1]),
                list(self.practices.values()),
                limit=limit,
                evidence=evidence,
            )
            return [step.model_copy(update={"scope": {focus[0]: focus[1]}}) for step in ranked]
        scorecard = self.scorecard(period, data_dir, baseline=baseline)
        ranked = rank_next_steps(scorecard, list(self.practices.values()), limit=limit, evidence=evidence)
        # Each step starts where its weakness lives, when one segment drives it (see advisor.scoping); the
        # metrics it needs are diagnosed together, sharing one build of the ticket facts.
        statuses = {metric.id: metric.status for metric in scorecard.all_metrics()}
        wanted = {first_weak_target(step, statuses) for step in ranked} - {None}
        found = self._diagnoses(sorted(metric for metric in wanted if metric), period, baseline, data_dir)
        return scope_next_steps(ranked, found.get, statuses)

    def diagnose(
        self,
        metric_id: str,
        *,
        period: Period | None = None,
        baseline: Period | None = None,
        data_dir: Path | None = None,
    ) -> DiagnosisReport:
        """Why `metric_id` is where it is: its change against the baseline (else the previous period, else
        its target) split into the contributions of every team, product, channel and segment (rate vs mix),
        the month it left its usual band, what this organisation tried before, and the practices that fit.

        `period` defaults to the scorecard's; `baseline` to the organisation's baseline period."""
        diagnosis = self._diagnosis(metric_id, period, baseline, data_dir)
        return build_report(
            diagnosis,
            recommendations=self.recommendations.list(organisation=self.organisation(data_dir)),
            practices=list(self.practices.values()),
            search=self._search_for_diagnosis,
        )

    def propose_from_diagnosis(
        self,
        metric_id: str,
        practice_id: str,
        *,
        scope: dict[str, str] | None = None,
        period: Period | None = None,
        actor: str = "advisor",
        at: datetime | None = None,
    ) -> list[TrackedRecommendation]:
        """Store one practice as a proposal for `metric_id`, scoped to a segment of its diagnosis (an open
        recommendation for the same practice is kept, not duplicated)."""
        practice = self.practices.get(practice_id)
        if practice is None:
            raise UnknownPractice(f"there is no practice {practice_id!r} in the library")
        report = self.diagnose(metric_id, period=period)
        recommendation = practice_recommendation(practice, report, scope)
        used = Period(report.period.start, report.period.end)
        return self.recommendations.propose(
            [recommendation], organisation=self.organisation(), period=used, actor=actor, at=at
        )

    def _search_for_diagnosis(self, query: str, filters: SearchFilters | None) -> list[Hit]:
        if self.index.is_empty():
            return []
        return self.search(query, 12, kinds=("case", "article", "solution"), filters=filters)

    def _diagnosis(
        self, metric_id: str, period: Period | None, baseline: Period | None, data_dir: Path | None
    ) -> Diagnosis:
        return self._diagnoses([metric_id], period, baseline, data_dir)[metric_id]

    def _diagnoses(
        self, metric_ids: Sequence[str], period: Period | None, baseline: Period | None, data_dir: Path | None
    ) -> dict[str, Diagnosis]:
        """The metrics-level diagnoses, each computed once per data folder, metric, period and baseline; those
        not yet known are computed together (one build of the tables their records share)."""
        unknown = [metric_id for metric_id in metric_ids if metric_id not in METRICS_BY_ID]
        if unknown:
            raise UnknownMetric(f"there is no metric {unknown[0]!r} on the scorecard")
        path = (data_dir or self.data_dir).resolve()
        self._forget_if_changed(path)
        known: dict[str, Diagnosis] = {}
        for metric_id in metric_ids:
            if (found := self._diagnoses_cache.get((path, metric_id, period, baseline))) is not None:
                known[metric_id] = found
        missing = [metric_id for metric_id in metric_ids if metric_id not in known]
        if not missing:
            return known
        # One computation at a time, as for the scorecard; the others then find theirs.
        with self._diagnoses_cache.flight((path, "diagnoses", period, baseline)):
            for metric_id in missing:
                if (found := self._diagnoses_cache.get((path, metric_id, period, baseline))) is not None:
                    known[metric_id] = found
            missing = [metric_id for metric_id in metric_ids if metric_id not in known]
            if missing:
                store, scorecard = self.store(data_dir), self.scorecard(period, data_dir)
                computed = diagnose_metrics(store, scorecard, missing, baseline, self.min_group_size)
                for metric_id, diagnosis in zip(missing, computed, strict=True):
                    self._diagnoses_cache.put((path, metric_id, period, baseline), diagnosis)
                    known[metric_id] = diagnosis
        return known

    def measure_next(
        self, period: Period | None = None, data_dir: Path | None = None, *, baseline: Period | None = None
    ) -> list[MeasurementGap]:
        """The metrics that cannot be judged yet ("measure next"), those that need only a baseline first,
        each with the measurement practice that starts it. They never push a measured weakness down."""
        return measurement_gaps(
            self.scorecard(period, data_dir, baseline=baseline), list(self.practices.values())
        )

    # -- tracked recommendations -------------------------------------------------------------------------
    def organisation(self, data_dir: Path | None = None) -> str:
        """The name recommendations are stored under: the data folder's name."""
        return (data_dir or self.data_dir).resolve().name

    def propose_next_steps(
        self, period: Period | None = None, *, actor: str = "advisor", at: datetime | None = None
    ) -> list[TrackedRecommendation]:
        """Store the current next steps as proposals (an open one for the same practice is kept)."""
        scorecard = self.scorecard(period)
        used = Period(scorecard.period.start, scorecard.period.end)
        return self.recommendations.propose(
            self.next_steps(period), organisation=self.organisation(), period=used, actor=actor, at=at
        )

    def propose_options(
        self, period: Period | None = None, *, limit: int = 5, steps: Sequence[Recommendation] | None = None
    ) -> list[ProposeOption]:
        """The current next steps (or `steps`, already ranked for `period`), each with the groups its
        diagnosis offers to start with."""
        steps = self.next_steps(period, limit=limit) if steps is None else steps
        return propose_options(steps, self._step_diagnoses(steps, period))

    def propose_steps(
        self,
        chosen: Sequence[ChosenStep],
        period: Period | None = None,
        *,
        actor: str = "advisor",
        at: datetime | None = None,
    ) -> list[TrackedRecommendation]:
        """Store the chosen next steps (one or several, each for everyone or one group) as proposals."""
        scorecard = self.scorecard(period)
        used = Period(scorecard.period.start, scorecard.period.end)
        steps = self.next_steps(period, limit=CHOOSABLE_STEPS)
        picked = choose_steps(steps, chosen, self._step_diagnoses(steps, period))
        return self.recommendations.propose(
            picked, organisation=self.organisation(), period=used, actor=actor, at=at
        )

    def _step_diagnoses(self, steps: Sequence[Recommendation], period: Period | None) -> dict[str, Diagnosis]:
        statuses = {metric.id: metric.status for metric in self.scorecard(period).all_metrics()}
        return step_diagnoses(steps, statuses, lambda ids: self._diagnoses(ids, period, None, None))

    def move_recommendation(
        self,
        recommendation_id: str,
        to_status: RecommendationStatus,
        *,
        actor: str,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> TrackedRecommendation:
        """One lifecycle step. Reaching `done` records the measured outcome and queues the solution document
        for the index in one transaction (all or nothing); the index is written after it, and a crash in
        between is repaired by `index_pending_solutions` at the next start."""
        if to_status != "done":
            return self.recommendations.transition(
                recommendation_id, to_status, actor=actor, reason=reason, at=at
            )
        moment = at or datetime.now(UTC)
        outcomes: list[MetricOutcome] = []
        time_range = self.store().time_range() if self.data_dir.is_dir() else None
        if time_range is not None:
            # measured on the recommendation as it will be once done (nothing is written yet)
            planned = self.recommendations.preview(
                recommendation_id, to_status, actor=actor, reason=reason, at=moment
            )
            data_end = time_range[1].date() + timedelta(days=1)
            outcomes = self.measure_recommendation(planned, data_end)
        self.recommendations.transition(
            recommendation_id,
            to_status,
            actor=actor,
            reason=reason,
            at=moment,
            outcomes=outcomes,
            queue_indexing=True,
        )
        self.index_pending_solutions()
        return self.recommendations.get(recommendation_id)

    def index_pending_solutions(self) -> int:
        """Write the solution documents queued by "done" into the index and take them off the queue (after a
        crash, at the next start); returns how many were written."""
        with self._indexing_lock:
            pending = self.recommendations.pending_indexing()
            if not pending:
                return 0
            documents = {rec.id: solution_document(rec) for _, rec in pending if rec.status == "done"}
            if documents:
                self.index.build(list(documents.values()))
            self.recommendations.indexed([entry for entry, _ in pending])
            return len(documents)

    def remeasure_due_outcomes(self) -> int:
        """Measure again the done steps whose outcome was "too early to tell" once the data reaches the date
        it named (run at start and after new data arrives); returns how many were measured again."""
        if not self.data_dir.is_dir():
            return 0
        time_range = self.store().time_range()
        if time_range is None:
            return 0
        data_end = time_range[1].date() + timedelta(days=1)
        remeasured = 0
        for recommendation in self.recommendations.list(
            organisation=self.organisation(), statuses=frozenset({"done"})
        ):
            if not any(_due(outcome, data_end) for outcome in recommendation.outcomes):
                continue
            outcomes = self.measure_recommendation(recommendation, data_end)
            if outcomes != recommendation.outcomes:
                self.recommendations.record_outcomes(recommendation.id, outcomes, queue_indexing=True)
                remeasured += 1
        if remeasured:
            self.index_pending_solutions()  # the solution documents now carry the measured effect
        return remeasured

    def measure_recommendation(
        self, recommendation: TrackedRecommendation, data_end: date
    ) -> list[MetricOutcome]:
        """The targeted metrics' plain before/after figures and the step's judged effect: against the
        groups it did not touch when it is scoped to one (difference-in-differences), else against the
        metric's own history (weaker evidence), each with a 95% interval and a verdict (advisor.outcomes).
        Empty before the work started; `data_end` is the first day the data does not cover."""
        store = self.store()
        others = [
            rec
            for rec in self.recommendations.list(organisation=recommendation.organisation)
            if rec.id != recommendation.id
        ]

        def series_for(metric_id: str, windows: Sequence[Period], by: Dimension | None) -> list[SeriesPoint]:
            return metric_series(store, metric_id, windows, by=by)

        return judge_outcomes(
            recommendation,
            series_for,
            data_end,
            min_group_size=self.min_group_size,
            touched=lambda metric_id: touched_groups(recommendation, others, metric_id),
        )

    # -- knowledge ---------------------------------------------------------------------------------------
    def documents(
        self,
        data_dir: Path | None = None,
        paths: Iterable[Path] = (),
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        problems: list[InvalidDocument] | None = None,
    ) -> list[Document]:
        """The practices, the organisation's knowledge articles and resolved tickets with resolution notes,
        any folders given, and done recommendations. Files over `max_bytes` or unreadable raise, or go to
        `problems` when given."""
        documents = [practice_document(practice) for practice in self.practices.values()]
        store = self.store(data_dir) if (data_dir or self.data_dir).is_dir() else None
        if store is not None and "articles" in store.tables:
            cursor = store.cursor()
            result = cursor.execute(
                "SELECT id, title, body, audience, state, product, first_known_at FROM articles "
                # archived knowledge is no longer in use: not found (the KCS loop archives articles)
                "WHERE coalesce(lower(state), '') NOT IN ('archived', 'retired', 'obsolete', 'deleted')"
            )
            columns = [column[0] for column in result.description or []]
            documents += [article_document(dict(zip(columns, row, strict=True))) for row in result.fetchall()]
        if store is not None and "tickets" in store.tables:
            result = store.cursor().execute(
                "SELECT id, subject, resolution, product, team, resolved_at FROM tickets "
                "WHERE resolved_at IS NOT NULL AND nullif(trim(resolution), '') IS NOT NULL ORDER BY id"
            )
            columns = [column[0] for column in result.description or []]
            cases = (case_document(dict(zip(columns, row, strict=True))) for row in result.fetchall())
            documents += [case for case in cases if case is not None]
        for path in paths:
            documents += list(folder_documents(path, max_bytes=max_bytes, problems=problems))
        done = self.recommendations.list(
            organisation=self.organisation(data_dir), statuses=frozenset({"done"})
        )
        documents += [solution_document(recommendation) for recommendation in done]
        return unique_documents(documents)

    def build_index(
        self,
        data_dir: Path | None = None,
        paths: Iterable[Path] = (),
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        problems: list[InvalidDocument] | None = None,
        progress: Progress | None = None,
    ) -> BuildReport:
        """Bring the index in step: practices, articles, cases and solutions that are gone are removed, and
        so are files deleted from the folders given."""
        paths = list(paths)
        return self.index.build(
            self.documents(data_dir, paths, max_bytes=max_bytes, problems=problems),
            remove_missing_kinds=("practice", "article", "case", "solution"),
            remove_missing_roots=[str(path.resolve()) for path in paths],
            progress=progress,
        )

    def ensure_index(self) -> BuildReport | None:
        """Build the index when it is empty (first start) or a build stopped before it finished (it was
        killed: the build is incremental, so only what is missing is added, the folders it read included);
        otherwise leave it as it is."""
        state = self.index.build_state()
        if not self.index.is_empty() and (state.complete or state.alive):
            return None
        folders = [Path(root) for root in state.roots if Path(root).is_dir()]
        return self.build_index(paths=folders)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        kinds: Sequence[str] = (),
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        """Hybrid search (dense + BM25, fused by normalised scores, reuse boost), grouped by document."""
        return self.index.search(query, k, kinds=kinds, filters=filters, mode=mode)

    def search_many(
        self, queries: Sequence[str], k: int = 5, *, filters: SearchFilters | None = None
    ) -> list[list[Hit]]:
        return self.index.search_many(queries, k, filters=filters)

    def record_feedback(self, document_id: str, kind: FeedbackKind, *, user: str | None = None) -> int:
        """A hit marked "helpful" or a solution marked "solved": the document's reuse count goes up by
        one (returned), once per `user`, document and kind (a repeat changes nothing). Raises UnknownDocument
        for an id that is not indexed."""
        return self.index.record_feedback(document_id, kind, voter=user)

    def evaluate_retrieval(
        self, queries: Mapping[str, str], qrels: Qrels, *, min_similarity: float | None = None
    ) -> dict[str, RetrievalScores]:
        """Recall@1/5/10, MRR@10 and nDCG@10 of keyword, dense and hybrid search over the index."""

        def search(texts: Sequence[str], mode: str) -> list[list[str]]:
            found = self.index.search_many(
                texts,
                10,
                mode=mode,  # type: ignore[arg-type]
                min_similarity=min_similarity,
            )
            return [[hit.id for hit in hits] for hits in found]

        return evaluate_retrievers(search, queries, qrels)

    # -- chat --------------------------------------------------------------------------------------------
    def chat(
        self,
        message: str,
        conversation_id: str | None = None,
        *,
        user: str = LOCAL_USER,
        understood: Understood | None = None,
    ) -> ChatAnswer:
        """Answer one message with citations (composed without an LLM unless one is configured), kept
        in `user`'s conversation history. `understood` replaces the advisor's reading of the message."""
        return self._chat.answer(message, conversation_id, owner=user, understood=understood)

    def chat_stream(
        self,
        message: str,
        conversation_id: str | None = None,
        *,
        user: str = LOCAL_USER,
        understood: Understood | None = None,
    ) -> Iterator[ChatToken | ChatAnswer]:
        """The answer as it is written, then the final ChatAnswer."""
        return self._chat.stream(message, conversation_id, owner=user, understood=understood)

    def understand(self, message: str, history: Sequence[Understood] = ()) -> Understood:
        """How the chat reads `message` (after the conversation's earlier readings, oldest first)."""
        return understand(message, self._chat.vocabulary(), history)

    def chat_vocabulary(self) -> Vocabulary:
        """The words the chat understands, with this organisation's group names."""
        return self._chat.vocabulary()

    def conversation(self, conversation_id: str, *, user: str = LOCAL_USER) -> list[ChatTurn]:
        """The turns of one of `user`'s conversations (ConversationNotFound for someone else's)."""
        return self.conversations.turns(conversation_id, user)

    def delete_conversation(self, conversation_id: str, *, user: str = LOCAL_USER) -> None:
        """Remove one of `user`'s conversations (ConversationNotFound for someone else's)."""
        self.conversations.delete(conversation_id, user)

    def conversation_history(self, *, user: str = LOCAL_USER, limit: int = 30) -> list[ConversationSummary]:
        """`user`'s conversations, the most recent first."""
        return self.conversations.conversations(user, limit)

    def answer_feedback(
        self, turn_id: int, *, helpful: bool, comment: str | None = None, user: str = LOCAL_USER
    ) -> AnswerFeedback:
        """Keep `user`'s verdict on one of their answers; a helpful answer also counts as a reuse of
        the prior solutions and articles it cited (the KCS reuse measure)."""
        verdict, cited = self.conversations.record_feedback(
            turn_id, by=user, helpful=helpful, comment=comment
        )
        for citation in cited if helpful else []:
            if citation.kind in REUSABLE_KINDS:
                self.record_feedback(citation.id, "helpful", user=user)
        return verdict

    def article(self, article_id: str) -> dict[str, object] | None:
        """One row of the organisation's `articles` table, or None."""
        store = self.store()
        if "articles" not in store.tables:
            return None
        result = store.cursor().execute("SELECT * FROM articles WHERE id = ?", [article_id])
        row = result.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in result.description or []], row, strict=True))


def _due(outcome: MetricOutcome, data_end: date) -> bool:
    """A "too early to tell" outcome whose date has come (or that named none: no records since the start)."""
    return outcome.verdict == "too_early" and (
        outcome.measurable_from is None or outcome.measurable_from <= data_end
    )


def _folder_signature(path: Path) -> tuple[object, ...]:
    """What changes when a data folder's files do: the folder itself (an import swaps it whole) and each
    file's name, size and modification time."""
    try:
        folder = path.stat()
        stats = [(entry.name, entry.stat()) for entry in os.scandir(path) if entry.is_file()]
        files = sorted((name, stat.st_size, stat.st_mtime_ns) for name, stat in stats)
    except OSError:
        return ()
    return (folder.st_ino, folder.st_mtime_ns, *files)
