"""``balie sanity_check``: every stored document version is there and unchanged; no orphan files (DOS-8).

For each DocumentVersion the file must exist in the default storage (local disk or S3) with the
recorded size and SHA-256. Files under ``documents/`` that no version names are listed as
orphans (e.g. left by an upload that died between storing and committing). A bulk publish stores
a file once and lets many versions name it: such a shared key is read and hashed once, and the
files staged by bulk publications that are not done yet are in use, not orphans. Exit code 0 with
"OK: N versions checked", or 1 with a report of every problem.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from balie.dossiers import files
from balie.dossiers.bulk import staged_keys_in_use
from balie.dossiers.models import DocumentVersion

ROOT = "documents"


def stored_keys(storage, path: str = ROOT):
    """Every file key below ``path``, walking the storage's folders (S3 prefixes alike)."""
    try:
        folders, names = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in names:
        yield f"{path}/{name}"
    for folder in folders:
        yield from stored_keys(storage, f"{path}/{folder}")


class Command(BaseCommand):
    help = "Checks that every document version's file exists with its size and SHA-256, and lists orphan files."

    def handle(self, *args, **options):
        storage = default_storage
        problems: list[str] = []
        referenced: set[str] = set()
        measured: dict[str, tuple[int, str] | str] = {}  # key -> (size, sha256), or "missing"/an error
        checked = 0
        versions = DocumentVersion.objects.order_by("pk").values_list(
            "file", "size", "sha256", "number", "document__public_id"
        )
        for key, size, sha256, number, document in versions.iterator(chunk_size=1000):
            checked += 1
            referenced.add(key)
            where = f"{key} (document {document}, version {number})"
            if key not in measured:  # a key shared by many versions (bulk publish) is read once
                try:
                    measured[key] = files.file_sha256(storage, key)
                except FileNotFoundError:
                    measured[key] = "missing"
                except Exception as error:  # a storage error is a finding too, not a crash halfway
                    measured[key] = f"unreadable: {error}"
            result = measured[key]
            if result == "missing":
                problems.append(f"MISSING   {where}")
                continue
            if isinstance(result, str):
                problems.append(f"UNREADABLE {where}: {result.removeprefix('unreadable: ')}")
                continue
            actual_size, actual_sha256 = result
            if actual_size != size:
                problems.append(f"SIZE      {where}: recorded {size} bytes, stored {actual_size}")
            if actual_sha256 != sha256:
                problems.append(f"SHA-256   {where}: recorded {sha256}, stored {actual_sha256}")
        referenced.update(staged_keys_in_use())
        orphans = sorted(key for key in stored_keys(storage) if key not in referenced)
        problems.extend(f"ORPHAN    {key} (no version refers to it)" for key in orphans)
        if problems:
            for line in problems:
                self.stdout.write(line)
            raise CommandError(
                f"{len(problems)} problem(s) found in {checked} versions checked ({len(orphans)} orphan file(s)).",
                returncode=1,
            )
        self.stdout.write(f"OK: {checked} versions checked")
