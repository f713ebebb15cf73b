"""Temporary files of uploads that never finished.

Django writes a large upload to a temporary file (``TemporaryUploadedFile``) in
``FILE_UPLOAD_TEMP_DIR`` (``BALIE_UPLOAD_TEMP_DIR``, else the system's temporary folder) and
deletes it when the request ends. A process killed in the middle of an upload never gets there,
so its file stays behind; ``remove_stale_upload_files`` removes those, at the start of each web
process and as the periodic job ``core.remove_stale_uploads``.

Only files named as Django names them are touched, and only when nothing has been written to them
for ``STALE_AFTER``: an upload still arriving writes to its file all the time, and several
processes may clean the same folder at once.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=3)
# tempfile's "tmp" + 8 random characters, then ".upload" and the extension of the uploaded name.
UPLOAD_TEMP_NAME = re.compile(r"tmp[a-z0-9_]{8}\.upload(\.[^./\\]*)?")


def upload_temp_dir() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def remove_stale_upload_files(*, folder: Path | None = None, older_than: timedelta = STALE_AFTER) -> list[str]:
    """Removes upload temporary files left in ``folder`` (by default the upload temporary folder)
    that were last written more than ``older_than`` ago; returns their names. Other files, folders
    and links are never touched."""
    folder = Path(folder or upload_temp_dir())
    cutoff = time.time() - older_than.total_seconds()
    removed = []
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return removed
    except OSError:
        logger.warning("Could not look for stale upload files in %s", folder, exc_info=True)
        return removed
    with entries:
        for entry in entries:
            if not UPLOAD_TEMP_NAME.fullmatch(entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_mtime > cutoff:
                    continue
                os.remove(entry.path)
            except FileNotFoundError:
                continue  # another process removed it first
            except OSError:
                logger.warning("Could not remove the stale upload file %s", entry.path, exc_info=True)
                continue
            removed.append(entry.name)
    if removed:
        logger.info("Removed %d stale upload file(s) from %s", len(removed), folder)
    return removed
