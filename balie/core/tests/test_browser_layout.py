"""Every page of the demo on a phone (375 px) and the staff menu on a laptop (1280 px), in a real browser.

The crawl follows same-origin links from the start page (GET only, no downloads or files, no sign-out)
for a client and for staff, and checks each page: no sideways panning (the page is no wider than the
screen) and tap targets of at least 24 × 24 px (WCAG 2.5.8; links in running text are exempt).
"""

import re
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
MAX_PAGES = 120  # per person: the crawl ends, whatever the demo grows into
MAX_PER_KIND = 2  # pages of one kind (the same address with other ids) are laid out alike

# Links the crawl leaves alone: files and downloads (not pages), the development outbox, the admin.
SKIPPED = re.compile(
    r"/download/|/inline/|\.pdf$|\.pem$|\.cer$|\.css$|/foto$|/logo$|^/dev/|^/admin/|^/static/|^/media/|logout"
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Reported per page: how wide the document is and, when wider than the screen, the elements that
# reach furthest right (the innermost first); and the visible interactive elements under 24 × 24 px.
CHECK_PAGE = (Path(__file__).parent / "layout_check.js").read_text()


def kind_of(url: str) -> str:
    return UUID.sub("<id>", re.sub(r"/\d+/", "/<n>/", url))


def crawl(page: Page, base: str, extra: list[str] = ()) -> dict[str, dict]:
    """Opens every page reachable by links from the start page (and ``extra``); the findings per page."""
    host = urlsplit(base).netloc
    queue = deque(["/", *extra])
    seen: set[str] = set(queue)
    kinds: Counter = Counter()
    findings: dict[str, dict] = {}
    while queue and len(findings) < MAX_PAGES:
        url = queue.popleft()
        kind = kind_of(url)
        if kinds[kind] >= MAX_PER_KIND:
            continue
        kinds[kind] += 1
        response = page.goto(base + url)
        assert response.ok, f"{url} answered {response.status}"
        page.wait_for_load_state("load")
        findings[url] = page.evaluate(CHECK_PAGE)
        for href in page.eval_on_selector_all("a[href]:not([download])", "links => links.map((a) => a.href)"):
            href = urldefrag(href).url
            parts = urlsplit(href)
            if parts.scheme not in ("http", "https") or parts.netloc != host:
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local in seen or SKIPPED.search(parts.path):
                continue
            seen.add(local)
            queue.append(local)
    return findings


def problems(findings: dict[str, dict]) -> list[str]:
    found = []
    for url, result in findings.items():
        if result["scrollWidth"] > PHONE["width"]:
            found.append(f"{url} is {result['scrollWidth']} px wide: {'; '.join(result['widest'])}")
        for target in result["small"]:
            found.append(f"{url}: tap target under 24 × 24 px: {target}")
    return found


@pytest.fixture
def demo(live_server, settings):
    from balie.core import demo

    settings.BALIE_SITE_URL = live_server.url
    demo.load()
    return live_server.url


def sign_in(page: Page, base: str, email: str) -> None:
    from balie.core.demo import DEMO_PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#sign-in")


def test_every_client_page_of_the_demo_fits_a_phone(page: Page, demo):
    """Pieter Bakker (three environments, SMS at sign-in) on a phone."""
    from balie.accounts.models import User
    from balie.clients.models import Client
    from balie.dossiers.models import Dossier
    from balie.twostep.tests.utils import sms_code

    pieter = User.objects.get(email="pieter.bakker@bakker-installatie.example")
    page.set_viewport_size(PHONE)
    sign_in(page, demo, pieter.email)
    expect(page).to_have_url(re.compile("/accounts/tweede-stap/"))
    page.fill("#id_code", sms_code(pieter.mobile_number))
    page.click("#verify")
    expect(page.locator(".user-menu")).to_be_visible()

    # Pages behind a form or a button: a new message and supplying documents.
    company = Client.objects.get(name="Bakker Installatietechniek B.V.")
    dossier = Dossier.objects.filter(client=company).first()
    extra = [
        f"/o/{company.public_id}/berichten/vraag/",
        f"/o/{company.public_id}/dossiers/{dossier.public_id}/aanleveren/",
        f"/o/{company.public_id}/dossiers/{dossier.public_id}/berichten/nieuw/",
    ]
    findings = crawl(page, demo, extra)
    assert len(findings) > 20  # the crawl did reach the demo's pages
    assert any("/dossiers/" in url for url in findings) and any("/berichten/" in url for url in findings)
    found = problems(findings)
    assert not found, "\n".join(found)


def test_every_staff_page_of_the_demo_fits_a_phone(page: Page, demo):
    """Sanne de Vries (firm administrator) on a phone, including the publish page."""
    from balie.clients.models import Client
    from balie.dossiers.models import Dossier

    page.set_viewport_size(PHONE)
    sign_in(page, demo, "sanne.devries@vandijk-partners.example")
    expect(page.locator(".user-menu")).to_be_visible()

    company = Client.objects.get(name="Bakker Installatietechniek B.V.")
    dossier = Dossier.objects.filter(client=company).first()
    extra = [
        f"/kantoor/omgevingen/{company.public_id}/dossiers/{dossier.public_id}/",  # with the publish form
        f"/kantoor/omgevingen/{company.public_id}/bericht/",
        "/kantoor/bulk-publiceren/",
        "/kantoor/berichten/",  # every thread, not only those waiting for Sanne
    ]
    findings = crawl(page, demo, extra)
    assert len(findings) > 20
    assert any(url.startswith("/kantoor/omgevingen/") for url in findings)
    found = problems(findings)
    assert not found, "\n".join(found)

    # The whole menu is in sight, in rows, rather than a strip cut off at the screen's edge.
    page.goto(f"{demo}/kantoor/taken/")
    items = page.locator(".modules a")
    assert items.count() >= 9
    for item in items.all():
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], item.inner_text()
    # A data table is a list of cards, each cell labelled with its column, and still a table.
    first_row = page.locator("main table tbody tr").first
    assert first_row.evaluate("row => getComputedStyle(row).display") == "block"
    expect(first_row.locator("td").first).to_have_attribute("data-label", "Omgeving")
    label = first_row.locator("td").first.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Omgeving"'
    expect(page.get_by_role("table")).to_have_count(1)
    expect(page.get_by_role("columnheader", name="Omgeving")).to_have_count(1)


def test_the_staff_menu_is_one_line_on_a_laptop_with_my_details_last(page: Page, demo):
    page.set_viewport_size(LAPTOP)
    sign_in(page, demo, "sanne.devries@vandijk-partners.example")
    items = page.locator(".modules li")
    expect(items.last).to_have_text("Mijn gegevens")
    boxes = [item.bounding_box() for item in items.all()]
    widths = {text: round(box["width"]) for text, box in zip(items.all_inner_texts(), boxes, strict=True)}
    assert len({round(box["y"]) for box in boxes}) == 1, f"the menu takes more than one line: {widths}"


CONTRAST = (Path(__file__).parent / "contrast_check.js").read_text()
HEADER_TEXT = [".switcher-label", ".switcher summary strong", ".brand-name", ".user-name", ".modules a", "main a"]


@pytest.mark.parametrize("colour", ["#1f5f8b", "#ffd700"])
def test_the_header_reads_on_the_firms_colour_dark_or_light(page: Page, demo, colour):
    """The small "Omgeving" label and the rest of the header reach 4.5:1 on the firm's colour."""
    from balie.firms.models import Firm

    Firm.objects.filter(slug="van-dijk-partners").update(primary_colour=colour)
    page.set_viewport_size(LAPTOP)
    sign_in(page, demo, "fatima.elamrani@mail.example")
    expect(page.locator(".switcher-label")).to_be_visible()
    ratios = {selector: page.evaluate(CONTRAST, selector) for selector in HEADER_TEXT}
    assert all(ratio is not None for ratio in ratios.values()), ratios
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios
