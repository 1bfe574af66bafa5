"""The app uvicorn's workers import: it opens the database named by ``$HCPCS_DB``, with the limits of
``$HCPCS_LIMITS``."""

from . import create_app
from ._limits import Limits

app = create_app(limits=Limits.from_env())
