"""The app uvicorn's workers import: it opens the database named by ``$HCPCS_DB``, with the limits of
``$HCPCS_LIMITS``."""

import sys

from . import create_app
from ._limits import Limits

# The event loop answers cached requests itself while searches and diffs run in threads; a thread running
# Python keeps the GIL up to the switch interval before the loop gets it back. At CPython's default, 5 ms,
# four busy threads delayed the loop's wake-ups by 200 ms at p99 on this 2-core machine; at 1 ms, by 45-67 ms.
sys.setswitchinterval(0.001)

app = create_app(limits=Limits.from_env())
