"""The client side of the dossier: list, tabs, documents, files, read tracking and access log (DOS-1..5)."""

import io
import re
import zipfile
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from balie.dossiers import services
from balie.dossiers.models import Document, DocumentAccess, DocumentRead, DocumentVersion, Dossier
from balie.dossiers.tests.utils import PDF
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
NON_ASCII_NAME = "Jaarrekening 2025 – definitief.pdf"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def upload(name="jaarrekening.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def add(dossier, actor, name="jaarrekening.pdf", content=PDF, direction="firm", **fields):
    return services.document_add(
        dossier=dossier, upload=upload(name, content), direction=direction, actor=actor, **fields
    )


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier", number="2025-001")


@pytest.fixture
def document(dossier, personas):
    return add(dossier, personas.staff.user, NON_ASCII_NAME, message="Graag voor vrijdag bekijken.", year=2025)


@pytest.fixture
def member(client, personas):
    client.force_login(personas.client_user)
    return client


def list_url(environment):
    return reverse("dossiers:list", args=[environment.public_id])


def detail_url(dossier, **params):
    url = reverse("dossiers:detail", args=[dossier.client.public_id, dossier.public_id])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in params.items()) if params else "")


def url(name, document):
    return reverse(f"dossiers:{name}", args=[document.client.public_id, document.public_id])


def titles(response) -> list[str]:
    return [document.title for document in response.context["page"].object_list]


def tab_count(response, slug) -> int:
    return next(tab["unread"] for tab in response.context["tabs"] if tab["slug"] == slug)


# -- the dossier list (DOS-1) --


def test_the_list_shows_dossiers_in_progress_by_default(member, personas, dossier):
    closed = services.dossier_create(client=personas.company, description="Overdracht woning", number="N-17")
    Dossier.objects.filter(pk=closed.pk).update(status=Dossier.Status.CLOSED)
    response = member.get(list_url(personas.company))
    assert response.status_code == 200
    assert [item.description for item in response.context["page"].object_list] == ["Doorlopend dossier"]
    assert response.context["status"] == "in_progress"
    response = member.get(list_url(personas.company) + "?status=all")
    assert {item.description for item in response.context["page"].object_list} == {
        "Doorlopend dossier",
        "Overdracht woning",
    }
    response = member.get(list_url(personas.company) + "?status=closed")
    assert [item.description for item in response.context["page"].object_list] == ["Overdracht woning"]


def test_search_finds_dossiers_on_description_or_number(member, personas, dossier):
    services.dossier_create(client=personas.company, description="Levering Kerkstraat 12", number="N-2025-88")
    by_number = member.get(list_url(personas.company) + "?q=n-2025-8")
    assert [item.description for item in by_number.context["page"].object_list] == ["Levering Kerkstraat 12"]
    by_description = member.get(list_url(personas.company) + "?q=doorlopend")
    assert [item.description for item in by_description.context["page"].object_list] == ["Doorlopend dossier"]


def test_a_single_dossier_is_listed_not_opened(member, personas, dossier):
    response = member.get(list_url(personas.company))
    assert response.status_code == 200
    assert dossier.description in response.content.decode()


def test_the_list_shows_number_status_kind_and_progress(member, personas, dossier):
    services.checklist_add(dossier=dossier, title="Stukken ontvangen")
    step = services.checklist_add(dossier=dossier, title="Concept besproken")
    services.checklist_toggle(item=step, done=True)
    row = re.search(r"<tr>\s*<td>2025-001</td>.*?</tr>", member.get(list_url(personas.company)).content.decode(), re.S)
    assert row is not None
    assert "Doorlopend dossier" in row.group(0)
    assert "status-in_progress" in row.group(0)
    assert "1/2" in row.group(0)


def test_a_closed_matter_reads_afgerond_and_a_withdrawn_task_keeps_its_own_word(member, personas):
    matter = services.dossier_create(client=personas.company, description="Overdracht woning", number="N-17")
    Dossier.objects.filter(pk=matter.pk).update(status=Dossier.Status.CLOSED, kind=Dossier.Kind.MATTER)
    listed = member.get(list_url(personas.company) + "?status=closed").content.decode()
    row = re.search(r"<tr>\s*<td>N-17</td>.*?</tr>", listed, re.S)
    assert row is not None
    assert '<span class="badge status-closed">Afgerond</span>' in row.group(0)
    assert '<option value="closed" selected>Afgerond</option>' in listed
    page = member.get(detail_url(matter)).content.decode()
    assert '<span class="badge status-closed">Afgerond</span>' in page
    assert "Vervallen" not in listed + page
    with translation.override("nl"):
        assert str(Todo.Status.CLOSED.label) == "Vervallen"  # the task's object was withdrawn: it lapsed
    with translation.override("en"):
        assert str(Dossier.Status.CLOSED.label) == str(Todo.Status.CLOSED.label) == "Closed"


def test_an_environment_without_dossiers_says_so(member, personas):
    response = member.get(list_url(personas.company))
    assert response.context["has_any"] is False
    assert 'id="dossiers-empty"' in response.content.decode()


def test_a_search_without_results_says_so_and_offers_all(member, personas, dossier):
    response = member.get(list_url(personas.company) + "?q=bestaat-niet")
    content = response.content.decode()
    assert 'id="dossiers-empty"' in content
    assert "bestaat-niet" in content
    assert "?status=all&amp;q=bestaat-niet" in content


def test_the_dossier_list_is_paginated_keeping_the_filters(member, personas):
    for number in range(30):
        services.dossier_create(client=personas.company, description=f"Zaak {number}", number=f"Z-{number:02}")
    first = member.get(list_url(personas.company) + "?status=all&q=zaak")
    assert len(first.context["page"].object_list) == 25
    assert "status=all" in first.content.decode() and "page=2" in first.content.decode()
    second = member.get(list_url(personas.company) + "?status=all&q=zaak&page=2")
    assert len(second.context["page"].object_list) == 5


def test_the_menu_has_dossiers_in_an_environment(member, personas):
    content = member.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    assert f'href="{list_url(personas.company)}" id="menu-dossiers"' in content


# -- the dossier page: tabs, progress, document list (DOS-2..4) --


def test_tabs_show_unread_counts_that_drop_when_a_document_is_opened(member, personas, dossier):
    first = add(dossier, personas.staff.user, "aangifte.pdf")
    add(dossier, personas.staff.user, "jaarrekening.pdf")
    add(dossier, personas.staff.user, "brief.pdf", direction="correspondence")
    add(dossier, personas.client_user, "bankafschrift.pdf", direction="client")  # the author has seen it
    response = member.get(detail_url(dossier))
    assert [tab["slug"] for tab in response.context["tabs"]] == ["correspondence", "firm", "client", "berichten"]
    assert (tab_count(response, "correspondence"), tab_count(response, "firm")) == (1, 2)
    assert tab_count(response, "client") == 0
    assert 'id="tab-firm" href="?tab=firm" aria-current="page"' in response.content.decode()

    assert member.get(url("document", first)).status_code == 200
    response = member.get(detail_url(dossier))
    assert tab_count(response, "firm") == 1
    unread = {document.title: document.is_unread for document in response.context["page"].object_list}
    assert unread == {"aangifte": False, "jaarrekening": True}


def test_the_fourth_tab_holds_the_dossiers_messages(member, dossier):
    content = member.get(detail_url(dossier)).content.decode()
    assert content.count('id="tab-') == 4 and 'id="tab-berichten" href="?tab=berichten"' in content


def test_each_tab_lists_its_own_documents(member, personas, dossier):
    add(dossier, personas.staff.user, "aangifte.pdf")
    add(dossier, personas.staff.user, "brief.pdf", direction="correspondence")
    add(dossier, personas.client_user, "bankafschrift.pdf", direction="client")
    assert titles(member.get(detail_url(dossier, tab="correspondence"))) == ["brief"]
    assert titles(member.get(detail_url(dossier, tab="firm"))) == ["aangifte"]
    assert titles(member.get(detail_url(dossier, tab="client"))) == ["bankafschrift"]
    assert titles(member.get(detail_url(dossier, tab="onzin"))) == ["aangifte"]  # the default tab


def test_unread_documents_are_bold_with_a_new_marker(member, personas, dossier):
    add(dossier, personas.staff.user, "aangifte.pdf")
    content = member.get(detail_url(dossier)).content.decode()
    assert re.search(
        r'<tr class="unread">\s*<td><a href="[^"]+"><strong>aangifte</strong> <span class="badge new">', content
    )


def test_progress_is_collapsed_and_counts_done_steps(member, dossier):
    services.checklist_add(dossier=dossier, title="Stukken ontvangen")
    done = services.checklist_add(dossier=dossier, title="Concept besproken")
    services.checklist_toggle(item=done, done=True)
    content = member.get(detail_url(dossier)).content.decode()
    assert '<details class="progress panel" id="progress">' in content  # no "open": collapsed
    assert "(1/2)" in content
    assert re.search(r'<li class="done">\s*<span class="check" aria-hidden="true">✓</span> Concept besproken', content)
    assert re.search(r"<li>\s*<span class=\"check\" aria-hidden=\"true\">○</span> Stukken ontvangen", content)


def test_progress_without_steps_reads_zero_of_zero(member, dossier):
    assert "(0/0)" in member.get(detail_url(dossier)).content.decode()


def test_documents_can_be_filtered_on_folder_type_year_and_title(member, personas, dossier):
    fiscaal = dossier.folders.get(name="Fiscaal")
    staff = personas.staff.user
    add(dossier, staff, "aangifte-2024.pdf", folder=fiscaal, doc_type="income_tax_return", year=2024)
    add(dossier, staff, "aangifte-2025.pdf", folder=fiscaal, doc_type="income_tax_return", year=2025)
    add(dossier, staff, "jaarrekening-2025.pdf", doc_type="annual_accounts", year=2025)
    assert sorted(titles(member.get(detail_url(dossier, map=fiscaal.public_id)))) == ["aangifte-2024", "aangifte-2025"]
    assert titles(member.get(detail_url(dossier, type="annual_accounts"))) == ["jaarrekening-2025"]
    assert sorted(titles(member.get(detail_url(dossier, year=2025)))) == ["aangifte-2025", "jaarrekening-2025"]
    assert titles(member.get(detail_url(dossier, q="JAARREK"))) == ["jaarrekening-2025"]
    assert titles(member.get(detail_url(dossier, map=fiscaal.public_id, year=2024))) == ["aangifte-2024"]
    for nonsense in ("99999999999", "-1", "twintig"):
        assert len(titles(member.get(detail_url(dossier, year=nonsense)))) == 3  # ignored
    response = member.get(detail_url(dossier, q="bestaat-niet"))
    assert titles(response) == []
    assert 'id="documents-empty"' in response.content.decode()
    assert response.context["years"] == [2025, 2024]


def test_a_folder_of_another_dossier_is_404(member, personas, dossier):
    other = services.dossier_create(client=personas.company, description="Ander dossier")
    assert member.get(detail_url(dossier, map=other.folders.first().public_id)).status_code == 404
    assert member.get(detail_url(dossier, map="geen-uuid")).status_code == 404


def test_documents_can_be_sorted(member, personas, dossier):
    for name in ("b-brief.pdf", "c-aangifte.pdf", "a-jaarrekening.pdf"):
        add(dossier, personas.staff.user, name)
    Document.objects.filter(title="a-jaarrekening").update(created_at="2020-01-01T00:00:00Z")
    assert titles(member.get(detail_url(dossier))) == ["c-aangifte", "b-brief", "a-jaarrekening"]
    assert titles(member.get(detail_url(dossier, sort="created_at"))) == ["a-jaarrekening", "b-brief", "c-aangifte"]
    assert titles(member.get(detail_url(dossier, sort="title"))) == ["a-jaarrekening", "b-brief", "c-aangifte"]
    assert titles(member.get(detail_url(dossier, sort="-title"))) == ["c-aangifte", "b-brief", "a-jaarrekening"]
    assert titles(member.get(detail_url(dossier, sort="pk"))) == ["c-aangifte", "b-brief", "a-jaarrekening"]


def test_the_document_list_is_paginated_keeping_tab_and_sort(member, personas, dossier):
    for number in range(30):
        add(dossier, personas.staff.user, f"stuk-{number:02}.pdf")
    first = member.get(detail_url(dossier, tab="firm", sort="title"))
    assert len(first.context["page"].object_list) == 25
    cursor = first.context["page"].next_cursor
    assert f"?tab=firm&amp;sort=title&amp;na={cursor}" in first.content.decode()  # keyset, not an offset
    assert "30 documenten" in first.content.decode()
    second = member.get(detail_url(dossier, tab="firm", sort="title", na=cursor))
    assert titles(second) == [f"stuk-{number:02}" for number in range(25, 30)]
    assert not second.context["page"].has_next
    back = member.get(detail_url(dossier, tab="firm", sort="title", voor=second.context["page"].previous_cursor))
    assert titles(back) == [f"stuk-{number:02}" for number in range(25)]
    assert not back.context["page"].has_previous and back.context["page"].has_next
    assert titles(member.get(detail_url(dossier, tab="firm", sort="title", na="onzin"))) == titles(first)  # ignored


def _document_page_queries(member, dossier) -> int:
    member.get(detail_url(dossier))  # the first visit also remembers the environment as the last one
    with CaptureQueriesContext(connection) as queries:
        assert member.get(detail_url(dossier)).status_code == 200
    return len(queries)


def test_the_dossier_page_uses_the_same_number_of_queries_for_3_or_40_documents(
    member, personas, dossier, django_assert_max_num_queries
):
    folders = list(dossier.folders.all())
    staff = personas.staff.user
    for number in range(3):
        add(dossier, staff, f"stuk-{number}.pdf", folder=folders[number % 5], year=2020 + number)
    few = _document_page_queries(member, dossier)
    for number in range(3, 40):
        add(dossier, staff, f"stuk-{number}.pdf", folder=folders[number % 5], year=2020 + number % 6)
    services.document_record_access(
        document=Document.objects.first(), user=personas.client_user, action="view", ip_address=None
    )
    with django_assert_max_num_queries(few):
        assert member.get(detail_url(dossier)).status_code == 200
    with django_assert_max_num_queries(few):
        assert member.get(detail_url(dossier, page=2)).status_code == 200


def test_the_dossier_list_uses_the_same_number_of_queries_for_3_or_40_dossiers(
    member, personas, django_assert_max_num_queries
):
    for number in range(3):
        services.checklist_add(
            dossier=services.dossier_create(client=personas.company, description=f"Zaak {number}"), title="Stap"
        )
    member.get(list_url(personas.company))
    with CaptureQueriesContext(connection) as queries:
        member.get(list_url(personas.company))
    for number in range(3, 40):
        services.checklist_add(
            dossier=services.dossier_create(client=personas.company, description=f"Zaak {number}"), title="Stap"
        )
    with django_assert_max_num_queries(len(queries)):
        assert member.get(list_url(personas.company)).status_code == 200


# -- the document page (DOS-5) --


def test_the_document_page_shows_facts_message_versions_and_a_pdf_preview(member, personas, document):
    services.document_replace(document=document, upload=upload("Jaarrekening 2025 v2.pdf"), actor=personas.staff.user)
    response = member.get(url("document", document))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Jaarrekening 2025 – definitief" in content
    assert "Graag voor vrijdag bekijken." in content
    assert "2025" in content and "Doorlopend dossier" in content
    assert [version.number for version in response.context["versions"]] == [2, 1]
    assert NON_ASCII_NAME in content and "Jaarrekening 2025 v2.pdf" in content
    assert document.current_version.sha256[:12] in content
    assert personas.staff.user.get_full_name() in content
    assert f'data-src="{url("inline", document)}"' in content  # drawn by PDF.js, not the browser's viewer
    assert "<iframe" not in content and "<embed" not in content and "<object" not in content
    assert f'id="download" href="{url("download", document)}"' in content


def test_the_pdf_preview_says_how_to_read_the_document_without_javascript(member, document):
    content = member.get(url("document", document)).content.decode()
    fallback = re.search(r'<p class="pdf-fallback" id="preview-fallback"[^>]*>(.*?)</p>', content, re.S)
    assert fallback is not None and "hidden" not in fallback.group(0)  # shown until the script draws
    assert f'<a href="{url("download", document)}">Download het document om het te lezen.</a>' in fallback.group(1)


def test_the_document_pages_policy_lets_only_balies_own_worker_and_scripts_run(member, document):
    """PDF.js parses the PDF in a worker from Balie's static files; nothing may eval or load elsewhere."""
    csp = member.get(url("document", document))["Content-Security-Policy"]
    directives = dict(directive.strip().split(" ", 1) for directive in csp.split(";"))
    assert directives["worker-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp and "blob:" not in csp


def test_an_image_is_previewed_as_an_image_and_other_files_not_at_all(member, personas, dossier):
    image = add(dossier, personas.staff.user, "bon.png", PNG)
    text = add(dossier, personas.staff.user, "notitie.txt", b"Beste klant,\n")
    assert (
        f'<img id="preview-image" class="preview-image" src="{url("inline", image)}"'
        in member.get(url("document", image)).content.decode()
    )
    content = member.get(url("document", text)).content.decode()
    assert 'id="no-preview"' in content and "<iframe" not in content


def test_opening_the_page_logs_a_view_with_the_ip_and_marks_it_read(member, personas, document):
    member.get(url("document", document), REMOTE_ADDR="203.0.113.7")
    access = DocumentAccess.objects.get(document=document, user=personas.client_user)
    assert (access.action, access.ip_address, access.version_id) == ("view", "203.0.113.7", document.current_version_id)
    assert DocumentRead.objects.filter(document=document, user=personas.client_user).exists()


def test_the_page_shows_who_at_the_firm_opened_the_document(member, personas, document):
    colleague = personas.staff.user
    services.document_record_access(document=document, user=colleague, action="download", ip_address="10.0.0.1")
    # Firm B's staff and the client's own people are not "the firm".
    services.document_record_access(
        document=document, user=personas.outsider_staff.user, action="view", ip_address=None
    )
    services.document_record_access(document=document, user=personas.employee, action="view", ip_address=None)
    response = member.get(url("document", document))
    openings = response.context["firm_openings"]
    assert [row["user_id"] for row in openings] == [colleague.pk]
    content = response.content.decode()
    section = content[content.index('id="firm-openings"') :]
    assert colleague.get_full_name() in section
    assert personas.outsider_staff.user.get_full_name() not in content
    assert personas.employee.get_full_name() not in section


def test_nobody_at_the_firm_having_opened_it_is_said_plainly(member, document):
    response = member.get(url("document", document))
    assert response.context["firm_openings"] == []


# -- files: download and inline preview (DOS-5) --


def test_a_download_is_a_streamed_attachment_under_the_original_name(member, personas, document):
    response = member.get(url("download", document), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert response.streaming is True
    assert b"".join(response.streaming_content) == PDF  # reading it to the end closes the file
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(NON_ASCII_NAME)}"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    access = DocumentAccess.objects.get(document=document, user=personas.client_user)
    assert (access.action, access.ip_address) == ("download", "203.0.113.7")
    read = DocumentRead.objects.get(document=document, user=personas.client_user)
    assert read.last_downloaded_at is not None


def test_a_download_of_a_plain_ascii_name_keeps_it(member, personas, dossier):
    document = add(dossier, personas.staff.user, "aangifte.pdf")
    response = member.get(url("download", document))
    b"".join(response.streaming_content)  # closes the file (close() would end the test's database)
    assert response["Content-Disposition"] == 'attachment; filename="aangifte.pdf"'


def test_the_download_serves_the_current_version(member, personas, document):
    services.document_replace(document=document, upload=upload("v2.pdf", PDF + b"% v2\n"), actor=personas.staff.user)
    response = member.get(url("download", document))
    assert b"".join(response.streaming_content).endswith(b"% v2\n")
    assert response["Content-Disposition"] == 'attachment; filename="v2.pdf"'


def test_a_pdfs_preview_bytes_are_an_attachment_no_browser_shows_itself(member, personas, document):
    """Issue 15: the bytes PDF.js draws from; opened directly they are a download, never the viewer."""
    response = member.get(url("inline", document))
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == PDF  # reading it to the end closes the file
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(NON_ASCII_NAME)}"
    csp = response["Content-Security-Policy"]
    assert csp.startswith("sandbox; default-src 'none'") and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert DocumentAccess.objects.get(document=document, user=personas.client_user).action == "preview"


def test_the_preview_bytes_come_from_balie_itself_whatever_the_file_delivery(member, document, settings):
    """PDF.js fetches them from the page's own origin: never a redirect to S3."""
    settings.BALIE_FILE_DELIVERY = "s3-redirect"
    response = member.get(url("inline", document))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/octet-stream"


def test_an_image_is_shown_inline_in_a_sandbox(member, personas, dossier):
    image = add(dossier, personas.staff.user, "bon.png", PNG)
    response = member.get(url("inline", image))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(("name", "content"), [("notitie.txt", b"Beste klant,\n"), ("brief.docx", docx())])
def test_other_files_are_never_shown_inline(member, personas, dossier, name, content):
    document = add(dossier, personas.staff.user, name, content)
    assert member.get(url("inline", document)).status_code == 404
    assert not DocumentAccess.objects.filter(document=document).exists()
    response = member.get(url("download", document))
    b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; ")
    assert "html" not in response["Content-Type"]


@pytest.mark.parametrize("stored_type", ["image/svg+xml", "text/html"])
def test_html_or_svg_is_never_served_as_such_even_if_it_were_stored(member, personas, dossier, stored_type):
    """Uploads refuse them; should one ever be on record, it is still only an opaque attachment."""
    document = add(dossier, personas.staff.user, "plaatje.png", PNG)
    DocumentVersion.objects.filter(pk=document.current_version_id).update(content_type=stored_type)
    assert member.get(url("inline", document)).status_code == 404
    response = member.get(url("download", document))
    b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["Content-Security-Policy"].startswith("sandbox; ")


# -- withdrawn documents --


def test_a_withdrawn_document_is_gone_from_lists_and_its_links_say_so(member, personas, dossier, document):
    services.document_withdraw(document=document, actor=personas.staff.user)
    response = member.get(detail_url(dossier))
    assert titles(response) == []
    assert tab_count(response, "firm") == 0
    page = member.get(url("document", document))
    assert page.status_code == 410
    content = page.content.decode()
    assert 'id="withdrawn"' in content
    assert url("download", document) not in content and url("inline", document) not in content
    for name in ("download", "inline"):
        assert member.get(url(name, document)).status_code == 410
    assert not DocumentAccess.objects.filter(document=document).exists()


# -- who may see what --


def test_a_medewerker_sees_the_documents_of_their_environment(client, personas, dossier, document):
    client.force_login(personas.employee)
    assert client.get(list_url(personas.company)).status_code == 200
    assert titles(client.get(detail_url(dossier))) == [document.title]
    assert client.get(url("document", document)).status_code == 200
    response = client.get(url("download", document))
    b"".join(response.streaming_content)
    assert response.status_code == 200


def test_a_medewerker_cannot_reach_an_environment_they_are_not_in(client, personas):
    private = services.dossier_create(client=personas.private, description="Privé")
    client.force_login(personas.employee)
    assert client.get(list_url(personas.private)).status_code == 404
    assert client.get(detail_url(private)).status_code == 404


def test_the_outsider_gets_404_for_everything(client, personas, dossier, document):
    client.force_login(personas.outsider)
    own = personas.outsider_client.public_id
    urls = [list_url(personas.company), detail_url(dossier)] + [
        url(name, document) for name in ("document", "download", "inline")
    ]
    # Firm A's objects through the outsider's own environment.
    urls += [
        reverse("dossiers:detail", args=[own, dossier.public_id]),
        *(reverse(f"dossiers:{name}", args=[own, document.public_id]) for name in ("document", "download", "inline")),
    ]
    for address in urls:
        assert client.get(address).status_code == 404, address
    assert not DocumentAccess.objects.exists()


def test_a_document_is_not_reachable_through_another_environment_of_the_same_person(
    member, personas, dossier, document
):
    """The client user is in the company and in the private environment: the ids must match the environment."""
    private = personas.private.public_id
    assert member.get(reverse("dossiers:detail", args=[private, dossier.public_id])).status_code == 404
    for name in ("document", "download", "inline"):
        assert member.get(reverse(f"dossiers:{name}", args=[private, document.public_id])).status_code == 404


def test_staff_are_not_members_and_get_404(client, personas, dossier, document):
    client.force_login(personas.staff.user)
    assert client.get(detail_url(dossier)).status_code == 404
    assert client.get(url("download", document)).status_code == 404


def test_file_urls_answer_get_only(member, document):
    assert member.post(url("download", document)).status_code == 405
