"""Jobs of the dossiers app (found by ``balie.core.jobs`` through autodiscovery)."""

from balie.dossiers import bulk, search  # noqa: F401  register dossiers.bulk_publish and dossiers.extract_text
