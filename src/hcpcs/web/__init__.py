"""The web side of hcpcs: a JSON API under ``/api/``, HTML pages, and FHIR terminology under ``/fhir/``.

``create_app(db)`` builds the ASGI app over one read-only database handle per process; ``hcpcs serve``
runs it on uvicorn. Every route calls the library facade; nothing here speaks SQL.
"""

from ._app import create_app
from ._limits import Limits

__all__ = ["Limits", "create_app"]
