"""Pages: static HTML rendered from the release's JSON documents. Every string is escaped for
where it lands (text, attribute, URL: only http(s) becomes a link), pages carry no scripts or
outside resources, and the Llama 3.2 11B Vision Instruct vs Magistral Small 2509 page, opened
in Debian's headless Chromium at phone size, shows the recorded figures, both charts and the
Bedrock price conflict, logs no console error and is saved as a screenshot in test-artifacts/.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from modelcompare import export, pages
from tests._release import PAIR, REPO, Built

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
PHONE = "412,915"


@pytest.fixture(scope="module")
def built(refreshed) -> Built:
    return Built.from_refresh(refreshed)


@pytest.fixture(scope="module")
def files(built) -> dict[str, bytes]:
    return built.files()


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM.exists(), "Debian's chromium package is missing (scripts/test installs it)"
    return subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", *args,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _console_messages(stderr: str) -> list[str]:
    """Chromium's --enable-logging=stderr reports page console output as CONSOLE lines."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def _tags(html: str) -> list[tuple[str, dict]]:
    """Every start tag with its attributes (the standard library's parser: fast on 9 MB)."""
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


def _hostile_release(files: dict[str, bytes]) -> dict[str, bytes]:
    """The pair and its two models, with strings a source could have written to attack us."""
    pair = json.loads(files[f"v1/pairs/{PAIR}.json"])
    pair["models"]["a"]["name"] = '<script>alert("a")</script>Llama'
    linked, refused = (
        pair["prices"]["input"]["a"]["sources"][0],
        pair["release_date"]["a"]["sources"][0],
    )
    pair["sources"][refused]["url"] = "javascript:alert(1)"
    pair["sources"][linked]["title"] = '" onmouseover="alert(2)'
    pair["offerings"]["a"][0]["provider"]["name"] = "</text><script>alert(3)</script>"
    pair["statements"][0]["text"] = "<img src=x onerror=alert(4)>"
    catalog = json.loads(files["v1/catalog.json"])
    ids = (pair["models"]["a"]["id"], pair["models"]["b"]["id"])
    catalog["models"] = [m for m in catalog["models"] if m["id"] in ids]
    catalog["pairs"] = [p for p in catalog["pairs"] if p["id"] == PAIR]
    docs = {"v1/catalog.json": export.dumps(catalog), f"v1/pairs/{PAIR}.json": export.dumps(pair)}
    for model in catalog["models"]:
        docs[f"v1/{model['document']}"] = files[f"v1/{model['document']}"]
    return docs


def test_a_page_for_every_published_pair_and_model(files):
    catalog = json.loads(files["v1/catalog.json"])
    site = {p for p in files if p.startswith("site/")}
    expected = {"site/index.html"}
    expected |= {f"site/pairs/{p['id']}.html" for p in catalog["pairs"]}
    expected |= {
        f"site/models/{m['document'][7:-5]}.html" for m in catalog["models"] if m["published"]
    }
    assert site == expected and len(catalog["pairs"]) == 55
    for path in site:
        html = files[path].decode()
        assert html.startswith("<!doctype html>")
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        tags = _tags(html)
        assert not {t for t, _ in tags} & {"script", "link", "iframe", "object", "embed", "img"}
        assert not [a for _, attrs in tags for a in attrs if a == "src" or a.startswith("on")]
        assert not re.search(r"@import|url\(", html), path
        for href in (attrs["href"] for tag, attrs in tags if tag == "a"):
            assert href.startswith(("https://", "http://", "#", "../")) or re.fullmatch(
                r"(pairs|models)/[a-z0-9.-]+\.html|index\.html", href
            ), (path, href)


def test_pages_are_rendered_from_the_documents_alone(files):
    docs = {p: b for p, b in files.items() if p.startswith("v1/")}
    assert pages.render_site(docs) == {p: b for p, b in files.items() if p.startswith("site/")}


def test_every_string_is_escaped_for_where_it_lands(files):
    site = pages.render_site(_hostile_release(files))
    html = site[f"site/pairs/{PAIR}.html"].decode()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script") and not soup.find_all("img")
    assert "&lt;script&gt;alert(&#34;a&#34;)&lt;/script&gt;Llama" in html
    assert "&lt;/text&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(4)&gt;" in html
    assert "javascript:" not in " ".join(a["href"] for a in soup.find_all("a", href=True))
    assert not soup.find_all(attrs={"onmouseover": True})
    assert 'title="&#34; onmouseover=&#34;alert(2), fetched' in html  # quotes escaped
    # The refused URL is still shown, as text.
    assert "javascript:alert(1)</span>" in html


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://aws.amazon.com/bedrock/pricing/", True),
        ("http://example.org/a?b=c&d=e", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("//evil.example/x", False),  # scheme-relative: no scheme, no link
        ("https://", False),  # no host
        ("https://a.example/x y", False),  # a space would split the attribute in some tools
        (None, False),
    ],
)
def test_only_http_urls_become_links(url, linked):
    assert (pages.safe_url(url) is not None) == linked


def test_numbers_use_the_documents_precision():
    assert [pages.usd(v) for v in (0.5, 1.5, 0.015, 0.0485, 135, 3.25)] == [
        "0.50", "1.50", "0.015", "0.0485", "135.00", "3.25"
    ]  # fmt: skip
    assert pages.display({"value": 128000, "unit": "tokens"}) == "128,000"


def test_pair_page_in_headless_chromium(files, built, tmp_path):
    page = built.release_dir / "site" / "pairs" / f"{PAIR}.html"
    url = page.as_uri()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "pair-llama-3.2-11b-vs-magistral-small-2509-phone.png"
    shot.unlink(missing_ok=True)

    run = _chromium(
        tmp_path, f"--window-size={PHONE}", f"--screenshot={shot}",
        "--enable-logging=stderr", "--v=0", url,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert _console_messages(run.stderr) == []
    tall = _chromium(tmp_path, "--window-size=412,6000", f"--screenshot={ARTIFACTS / 'pair-full-length.png'}", url)  # fmt: skip
    assert tall.returncode == 0

    dom = _chromium(tmp_path, f"--window-size={PHONE}", "--dump-dom", url)
    assert dom.returncode == 0
    soup = BeautifulSoup(dom.stdout, "html.parser")
    assert not soup.find_all("script")
    assert soup.title.string == "Llama 3.2 11B Vision Instruct vs Magistral Small 1.2 (2509)"
    text = soup.get_text(" ", strip=True)
    assert "Last reviewed 2025-07-15" in text

    rows = {
        tr.th.get_text(" ", strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in soup.select_one("#facts ~ .tablewrap").select("tbody tr")
    }
    assert len(rows) == 12
    assert rows["Context window"][0].startswith("128,000") and rows["Context window"][1].startswith(
        "128,000"
    )
    assert rows["Vision (image input)"][0].startswith("yes") and rows["Vision (image input)"][
        1
    ].startswith("yes")
    assert rows["Reasoning"][0].startswith("no") and rows["Reasoning"][1].startswith("yes")
    assert rows["License"][0].startswith("Llama 3.2 Community License")
    assert rows["License"][1].startswith("Apache 2.0")
    assert rows["Open weights"][0].startswith("yes") and rows["Open weights"][1].startswith("yes")
    assert rows["Released"][0].startswith("2024-09-25")
    assert rows["Released"][1] == "unknown no source states it"
    assert rows["Cheapest input"][0].startswith("0.015 at Lambda")

    providers = [
        [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in soup.select("#providers ~ .tablewrap")[0].select("tbody tr")
    ]
    magistral = {
        r[0]: r[1:]
        for r in providers
        if r[0] in ("Mistral AI", "AWS Bedrock") and r[1].startswith("0.50")
    }
    assert magistral == {"Mistral AI": ["0.50", "1.50"], "AWS Bedrock": ["0.50", "1.50"]}
    bedrock = next(r for r in providers if r[0] == "AWS Bedrock" and r[1].startswith("0.16"))
    assert "0.35 per litellm" in bedrock[1] and "0.35 per litellm" in bedrock[2]

    # Each figure links to a source the page lists, and that source is an http(s) URL.
    listed = {a["href"] for a in soup.select("ol.sources a.url")}
    cell_links = [a["href"] for a in soup.select("table td a") if not a["href"].startswith("#")]
    assert cell_links and set(cell_links) <= listed
    assert all(h.startswith("https://") for h in listed)
    assert "https://aws.amazon.com/bedrock/pricing/" in listed

    charts = soup.select("figure svg")
    assert len(charts) == 2
    assert len(charts[0].find_all("rect")) >= 2 * 19 and charts[0].find("a")
    assert charts[1].find_all("polyline")

    sentences = [li.get_text(" ", strip=True) for li in soup.select("ul.statements li")]
    assert len(sentences) == len(set(sentences)) > 20
    for match in re.finditer(r"([\d.]+)% cheaper", text):
        assert float(match.group(1)) < 100, match.group(0)
    assert "97% cheaper" in text and "98.3% cheaper" in text
    assert "Choose Llama 3.2 11B Vision Instruct if cost matters most" in text
    assert "Choose Magistral Small 1.2 (2509) if you need reasoning" in text


def test_console_errors_would_be_caught(tmp_path):
    """The console check above is real: a page that logs an error is reported."""
    probe = tmp_path / "probe.html"
    probe.write_text(
        "<!doctype html><title>probe</title><script>console.error('probe-error')</script>"
    )
    run = _chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", probe.as_uri())
    assert any("probe-error" in line for line in _console_messages(run.stderr))


def test_index_and_model_pages_link_the_pair(files):
    index = BeautifulSoup(files["site/index.html"], "html.parser")
    hrefs = {a["href"] for a in index.find_all("a", href=True)}
    assert f"pairs/{PAIR}.html" in hrefs and "models/magistral-small-2509.html" in hrefs
    model = BeautifulSoup(files["site/models/magistral-small-2509.html"], "html.parser")
    assert f"pairs/{PAIR}.html" in {
        a["href"].removeprefix("../") for a in model.find_all("a", href=True)
    }
    assert len(model.select("figure svg")) == 2
    text = model.get_text(" ", strip=True)
    assert "Magistral Small 1.2 (2509)" in text and "Apache 2.0" in text


def test_stale_sources_and_conflicts_are_badged(files):
    soup = BeautifulSoup(files[f"site/pairs/{PAIR}.html"], "html.parser")
    stale = {b.get_text(strip=True) for b in soup.select(".badge.stale")}
    assert "stale" in stale and "stale: last good fetch 2025-07-15" in stale
    conflicts = [
        li.get_text(" ", strip=True)
        for li in soup.select("ul.statements li")
        if li.select(".badge.conflict")
    ]
    assert any(
        "AWS Bedrock" in c and "USD 0.16 is shown" in c and "USD 0.35 per LiteLLM" in c
        for c in conflicts
    )
    missing = [
        li.get_text(" ", strip=True)
        for li in soup.select("ul.statements li")
        if "missing" in li.get_text()
    ]
    assert any(
        "release date of Magistral Small 1.2 (2509) is unknown: no source states it" in m
        for m in missing
    )
