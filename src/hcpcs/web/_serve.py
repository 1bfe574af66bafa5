"""The app uvicorn's workers import: it opens the database named by ``$HCPCS_DB``."""

from . import create_app

app = create_app()
