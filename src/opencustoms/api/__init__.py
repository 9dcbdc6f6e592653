"""The HTTP API (FastAPI): versioned routes under /api/v1, errors as problem+json."""
