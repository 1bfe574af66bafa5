"""FHIR R4 terminology for HCPCS Level II, built from the library facade.

The code system is CMS's canonical ``http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets`` (the
``https`` form and the OID ``urn:oid:2.16.840.1.113883.6.285`` are accepted too); its version is the
release id (``2020-04``). Its value set of every code is ``hcpcs-all`` (``...HCPCSReleaseCodeSets?fhir_vs``) and
CMS's cross references are the ConceptMap ``hcpcs-replaced-by``. Every function returns a resource as a
JSON-ready dict; ``handle`` answers any interaction (errors as OperationOutcome resources with their status).
"""

from ._codes import PROPERTIES, code_system, lookup, subsumes
from ._common import (
    CODE_SYSTEM_ID,
    FHIR_VERSION,
    MAX_BATCH,
    MAX_EXPANSION,
    SYSTEM,
    SYSTEMS,
    VALUE_SET,
    VALUE_SET_ID,
    FhirError,
    Inputs,
    outcome,
)
from ._maps import CONCEPT_MAP, CONCEPT_MAP_ID, concept_map, translate
from ._server import (
    OPERATIONS,
    RESOURCES,
    batch,
    capability_statement,
    handle,
    search,
    terminology_capabilities,
)
from ._validation import validate_code
from ._valuesets import expand, value_set

__all__ = [
    "CODE_SYSTEM_ID", "CONCEPT_MAP", "CONCEPT_MAP_ID", "FHIR_VERSION", "MAX_BATCH", "MAX_EXPANSION", "OPERATIONS",
    "PROPERTIES", "RESOURCES",
    "SYSTEM", "SYSTEMS", "VALUE_SET", "VALUE_SET_ID", "FhirError", "Inputs", "batch", "capability_statement",
    "code_system", "concept_map", "expand", "handle", "lookup", "outcome", "search", "subsumes",
    "terminology_capabilities", "translate", "validate_code", "value_set",
]
