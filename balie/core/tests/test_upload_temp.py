"""Temporary files of uploads cut off by a killed process are removed (security finding 2.7)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.core.files.uploadedfile import TemporaryUploadedFile

from balie.core import jobs
from balie.core.uploads import STALE_AFTER, remove_stale_upload_files

ROOT = Path(__file__).resolve().parents[3]
SUBPROCESS_TIMEOUT = 600  # seconds: only stops a hang; starting Django takes long on a busy machine
HOUR = 3600


def make(folder: Path, name: str, *, age_seconds: float) -> Path:
    """A file last written ``age_seconds`` ago (its mtime set explicitly, no waiting)."""
    path = folder / name
    path.write_bytes(b"x" * 1024)
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def test_stale_upload_files_are_removed_and_everything_else_is_kept(tmp_path):
    stale = [
        make(tmp_path, "tmpab12_xyz.upload.pdf", age_seconds=4 * HOUR),
        make(tmp_path, "tmp0123abcd.upload", age_seconds=30 * HOUR),
    ]
    kept = [
        make(tmp_path, "tmpqwertyui.upload.pdf", age_seconds=10 * 60),  # still arriving, or just done
        make(tmp_path, "tmpabcdefgh.txt", age_seconds=30 * HOUR),  # some other program's temporary file
        make(tmp_path, "jaarrekening.upload.pdf", age_seconds=30 * HOUR),
        make(tmp_path, "tmpABCDEFGH.upload.pdf", age_seconds=30 * HOUR),
        make(tmp_path, "tmpab12_xyz.upload.pdf.bak", age_seconds=30 * HOUR),
    ]
    folder_like_upload = tmp_path / "tmpfolder1.upload"
    folder_like_upload.mkdir()
    os.utime(folder_like_upload, (time.time() - 30 * HOUR,) * 2)
    link = tmp_path / "tmplinklink.upload"
    link.symlink_to(kept[1])

    removed = remove_stale_upload_files(folder=tmp_path)

    assert sorted(removed) == sorted(path.name for path in stale)
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)
    assert folder_like_upload.is_dir() and link.is_symlink()


def test_the_age_threshold_is_hours_not_minutes():
    assert STALE_AFTER.total_seconds() >= 2 * HOUR  # a slow upload pauses for seconds, not hours


def test_the_name_pattern_matches_what_django_writes(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    for name in ("Jaarrekening 2025 – definitief.pdf", "zonder-extensie", "foto.JPEG"):
        upload = TemporaryUploadedFile(name, "application/octet-stream", 10, None)
        path = Path(upload.temporary_file_path())
        moment = time.time() - 4 * HOUR
        os.utime(path, (moment, moment))
        assert remove_stale_upload_files() == [path.name]  # the configured folder by default
        assert not path.exists()
        upload.close()  # Django's own cleanup does not mind that the file is gone


def test_the_periodic_job_cleans_the_upload_temp_folder(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stale = make(tmp_path, "tmpzzzzzzzz.upload.pdf", age_seconds=5 * HOUR)
    fresh = make(tmp_path, "tmpyyyyyyyy.upload.pdf", age_seconds=60)
    assert "core.remove_stale_uploads" in settings.BALIE_PERIODIC_JOBS
    jobs.get_job("core.remove_stale_uploads")()
    assert not stale.exists() and fresh.exists()


def test_a_missing_folder_removes_nothing(tmp_path):
    assert remove_stale_upload_files(folder=tmp_path / "does-not-exist") == []


def test_a_web_process_cleans_at_start(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    stale = make(uploads, "tmpkilled12.upload.pdf", age_seconds=5 * HOUR)
    fresh = make(uploads, "tmpbusy1234.upload.pdf", age_seconds=60)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BALIE_", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "balie.settings",
            "BALIE_DATA_DIR": str(tmp_path / "data"),
            "BALIE_UPLOAD_TEMP_DIR": str(uploads),
            "BALIE_JOBS_BACKEND": "immediate",  # no scheduler thread: only what starting does
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", "import balie.wsgi"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and fresh.exists()
