import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.settings")
application = get_wsgi_application()

# The embedded default runs background jobs in this process (no-op with the Celery backend).
from balie.core.jobs import start_inprocess_runner  # noqa: E402
from balie.core.uploads import remove_stale_upload_files  # noqa: E402

# Uploads cut off by a killed process leave their temporary files; each web process starts by
# removing old ones (the periodic job core.remove_stale_uploads does so while it runs).
remove_stale_upload_files()
start_inprocess_runner()
