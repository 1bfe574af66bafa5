"""The web side of hcpcs: a JSON API under ``/api/``, HTML pages, and FHIR terminology under ``/fhir/``.

``create_app(db)`` builds the ASGI app over a pool of read-only database handles; ``hcpcs serve`` runs it
on uvicorn, with the request limits of ``_limits``. Every route calls the library facade; nothing here
speaks SQL. Routes live in modules by area (``_codes``, ``_search``, ``_releases``, ``_drugs``, ``_assets``,
``_fhir_routes``); each page and its JSON twin come from one view (``_views``), the pages' HTML from
``_pages``, ``_search_page`` and ``_drug_page``.
"""

from ._app import create_app
from ._limits import Limits

__all__ = ["Limits", "create_app"]
