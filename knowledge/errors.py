"""Errors raised by the knowledge package; the edges turn them into messages."""


class KnowledgeError(Exception):
    """Base class for errors the knowledge package raises on purpose."""


class InvalidDocument(KnowledgeError):
    """A document or practice file that cannot be used: the message names the file and the problem."""


class InvalidQuery(KnowledgeError):
    """A search query that cannot be answered (empty, or longer than the limit)."""


class UnknownDocument(KnowledgeError):
    """A document id that is not in the index (for example in feedback)."""


class IndexUnavailable(KnowledgeError):
    """The index cannot be reached or read: a Chroma server that does not answer, a damaged folder."""


class InvalidEvaluationSet(KnowledgeError):
    """A queries or relevance-judgement file that cannot be read: the message names the file and line."""
