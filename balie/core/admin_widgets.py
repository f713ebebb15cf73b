"""Widgets for the operator's admin."""

from django.contrib.admin.widgets import AdminFileWidget


class StoredFileAdminWidget(AdminFileWidget):
    """The admin's file input without the link to the stored file: Balie serves no /media/ URLs
    (files go out through views that check who asks), so that link would lead nowhere."""

    template_name = "admin/widgets/stored_file_input.html"
