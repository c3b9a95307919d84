"""The HTTP API (FastAPI): thin routers over cloudmap.services and cloudmap.findings."""
