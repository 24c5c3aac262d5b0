"""The APIs the gateway serves ("faces"), by the names rules use and the journal shows.

A rule may name one (``match: {face: openai-chat}``); the journal, the admin API and the inspector show each
request's face. A new face adds its name here, its folder under ``mockgw/faces/`` and its route to the table
in ``mockgw/server/faces.py``.
"""

from __future__ import annotations

ANTHROPIC_MESSAGES = "anthropic-messages"
OPENAI_CHAT = "openai-chat"
OPENAI_RESPONSES = "openai-responses"
OPENAI_EMBEDDINGS = "openai-embeddings"
AISDK_LANGUAGE_MODEL = "aisdk-language-model"
AISDK_EMBEDDING_MODEL = "aisdk-embedding-model"
FACES: tuple[str, ...] = (
    ANTHROPIC_MESSAGES,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    OPENAI_EMBEDDINGS,
    AISDK_LANGUAGE_MODEL,
    AISDK_EMBEDDING_MODEL,
)
