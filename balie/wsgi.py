import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.settings")
application = get_wsgi_application()

# The embedded default runs background jobs in this process (no-op with the Celery backend).
from balie.core.jobs import start_inprocess_runner  # noqa: E402

start_inprocess_runner()
