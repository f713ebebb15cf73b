import mimetypes

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "balie.core"
    label = "core"

    def ready(self):
        # Browsers load ES modules (PDF.js, static/vendor/pdfjs/*.mjs) only when served as JavaScript;
        # Python before 3.12 knows .mjs only where the system's mime.types lists it.
        mimetypes.add_type("text/javascript", ".mjs")
