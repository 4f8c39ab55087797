"""Static HTML pages rendered from the release's own JSON documents, never from the warehouse.

``render_site(docs)`` takes the v1 documents (path → bytes, as they will be published) and
returns ``site/index.html``, ``site/pairs/<a>--<b>.html`` for every published pair and
``site/models/<model>.html`` for every published model. Pages carry no scripts, fonts or
stylesheets from elsewhere: CSS is inline and the charts are inline SVG built here. Jinja2
autoescapes every string; URLs become links only when they are http(s) (``safe_url``), and the
chart geometry is numbers computed in Python, so nothing a source wrote reaches the page
unescaped.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import urllib.parse
from pathlib import Path

import jinja2

from modelcompare.narrative import pct, tokens, usd
from modelcompare.slugs import safe_slug

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CONTRACT = "v1"
SITE = "site"
COLORS = {"a": "#1f5fa8", "b": "#b5431a"}
CAPABILITIES = ("vision", "reasoning", "tool_calling", "structured_output")
LABELS = {
    "context_window": "Context window",
    "max_output_tokens": "Max output",
    "vision": "Vision (image input)",
    "reasoning": "Reasoning",
    "tool_calling": "Tool calling",
    "structured_output": "Structured output",
    "license": "License",
    "open_weights": "Open weights",
    "release_date": "Released",
    "knowledge_cutoff": "Knowledge cutoff",
    "parameters": "Parameters",
    "base_model": "Base model",
}


_UNSAFE_IN_URL = re.compile(r"[\x00-\x1f\\ ]")  # control characters, backslash, space


def safe_url(value) -> str | None:
    """The URL when it is an absolute http(s) URL with a host; otherwise None (no link)."""
    if not isinstance(value, str):
        return None
    try:
        parts = urllib.parse.urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if _UNSAFE_IN_URL.search(value.strip()):
        return None
    return value.strip()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(usd=usd, tokens=tokens, pct=pct, safe_url=safe_url)
    return env


# --- what a number shows and where it links -----------------------------------------------
class Page:
    """Per-page helpers: numbered sources, and the display of one fact."""

    def __init__(self, doc: dict, stale: list[dict]):
        self.sources = doc.get("sources", {})
        self.stale = {s["source"]: s for s in stale}
        self.numbers: dict[str, int] = {}
        for rid in sorted(self.sources, key=lambda r: (self.sources[r]["source"], r)):
            self.numbers[rid] = len(self.numbers) + 1

    def link(self, rids: list[str], prefer: str | None = None) -> dict | None:
        """The response a number links to: the chosen source's when it is cited."""
        if not rids:
            return None
        ordered = sorted(rids, key=lambda r: (self.sources.get(r, {}).get("source") != prefer, r))
        rid = ordered[0]
        meta = self.sources.get(rid)
        if meta is None:
            return None
        return {
            "url": safe_url(meta["url"]),
            "title": f"{meta['title'] or meta['source']}, fetched {meta['fetched_at'][:10]}",
            "number": self.numbers[rid],
        }

    def refs(self, rids: list[str]) -> list[int]:
        return sorted(self.numbers[r] for r in rids if r in self.numbers)

    def show(self, fact: dict | None, kind: str = "") -> dict:
        """One fact as a cell: text, link, conflict sides, stale badge or why it is missing."""
        if not fact or fact.get("value") is None:
            missing = (fact or {}).get("missing") or {"text": "no source states it"}
            return {"known": False, "text": "unknown", "why": missing["text"], "link": None,
                    "conflict": [], "stale": None, "refs": [], "where": None,
                    "verified_at": None}  # fmt: skip
        source = fact.get("chosen_source")
        return {
            "known": True,
            "text": display(fact, kind),
            "why": None,
            "link": self.link(fact["sources"], source),
            "refs": self.refs(fact["sources"]),
            "conflict": [
                {
                    "text": side.get("stated") or display({**fact, "value": side["value"]}, kind),
                    "source": side["source"],
                    "provider": side.get("provider"),
                    "link": self.link(side["sources"]),
                }
                for side in fact.get("conflict") or []
            ],
            "stale": self.stale.get(source),
            "verified_at": fact.get("verified_at"),
            "where": None,
        }


def display(fact: dict, kind: str = "") -> str:
    value, unit = fact["value"], fact.get("unit")
    if value is None:
        return "unknown"
    if unit == "bool" or isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "tokens":
        return tokens(value)
    if unit == "params_billion":
        return f"{value}B parameters"
    if unit in ("usd_per_million_tokens", "usd_per_month", "usd_per_image", "usd_per_request"):
        return usd(value)
    if kind == "license" and fact.get("name"):
        return fact["name"]
    return str(value)


# --- charts -------------------------------------------------------------------------------
def _num(value) -> float:
    return float(decimal.Decimal(str(value)))


def provider_bars(doc: dict, sides: dict[str, dict], page: Page) -> dict | None:
    """Horizontal bars of input and output price per listed paid offering, grouped by model.

    Geometry for a 400-unit wide viewBox: a label line, then an input bar and an output bar.
    """
    rows = []
    for side, offerings in sides.items():
        for o in offerings:
            if not o["listed_now"] or o["free"]:
                continue
            if o["input"].get("value") is None or o["output"].get("value") is None:
                continue
            rows.append((side, o))
    if not rows:
        return None
    top = max(max(_num(o["input"]["value"]), _num(o["output"]["value"])) for _, o in rows) or 1.0
    # 360 units wide: on a phone the chart is drawn about 1:1, so 12-unit text reads as 12px.
    width, y = 360.0, 34.0
    bar_room = width - 62
    out = []
    current = None
    for side, o in rows:
        if side != current:
            current = side
            out.append({"heading": True, "y": y + 8, "text": doc_name(doc, side), "side": side})
            y += 26
        label = o["provider"]["name"] + (f" · {o['region']}" if o["region"] else "")
        label += f" · via {o['variant']}" if o["variant"] else ""
        bars = []
        for i, kind in enumerate(("input", "output")):
            fact = o[kind]
            length = max(2.0, _num(fact["value"]) / top * bar_room)
            bars.append(
                {
                    "kind": kind,
                    "x": 0,
                    "y": y + 5 + i * 13,
                    "width": round(length, 2),
                    "value": usd(fact["value"]),
                    "text_x": round(length + 4, 2),
                    "link": page.link(fact["sources"], fact.get("chosen_source")),
                    "conflict": bool(fact.get("conflict")),
                }
            )
        out.append({"heading": False, "y": y, "label": label, "bars": bars, "side": side})
        y += 42
    return {"rows": out, "height": round(y, 2), "width": width, "top": usd(top)}


def history_chart(doc: dict, sides: dict[str, dict], end: str | None) -> dict | None:
    """Step lines of the input price over time, one per (offering, source), colored by model.

    ``valid_from`` is inclusive, ``valid_to`` exclusive and open rows run to ``end`` (the
    newest date any row was seen). Lines are in a 360 × 224 viewBox with a 46-unit left axis.
    """
    series = []
    for side, offerings in sides.items():
        for o in offerings:
            if o["free"] or not o["listed_now"]:
                continue
            by_source: dict[str, list] = {}
            for h in o["price_history"]:
                if h["kind"] == "input" and h["valid_from"]:
                    by_source.setdefault(h["source"], []).append(h)
            for source, rows in sorted(by_source.items()):
                series.append((side, o, source, sorted(rows, key=lambda r: r["valid_from"])))
    if not series:
        return None
    dates = [r["valid_from"] for *_, rows in series for r in rows]
    dates += [r["last_seen"] for *_, rows in series for r in rows if r["last_seen"]]
    dates += [r["valid_to"] for *_, rows in series for r in rows if r["valid_to"]]
    start = dt.date.fromisoformat(min(dates))
    stop = dt.date.fromisoformat(end or max(dates))
    stop = max(stop, start + dt.timedelta(days=1))
    top = max(_num(r["value"]) for *_, rows in series for r in rows) or 1.0
    left, right, height, bottom = 46.0, 352.0, 224.0, 190.0
    span = (stop - start).days

    def x(day: str) -> float:
        return round(left + (dt.date.fromisoformat(day) - start).days / span * (right - left), 2)

    def y(value) -> float:
        return round(bottom - _num(value) / top * (bottom - 24), 2)

    lines = []
    for side, o, source, rows in series:
        points = []
        for r in rows:
            until = r["valid_to"] or (end or max(dates))
            points += [(x(r["valid_from"]), y(r["value"])), (x(until), y(r["value"]))]
        lines.append(
            {
                "side": side,
                "points": " ".join(f"{px},{py}" for px, py in points),
                "marks": [{"x": x(r["valid_from"]), "y": y(r["value"])} for r in rows],
                "label": f"{doc_name(doc, side)} at {o['provider']['name']} per {source}",
            }
        )
    ticks = [{"y": y(top * f), "text": usd(round(decimal.Decimal(str(top)) * decimal.Decimal(str(f)), 6))} for f in (0, 0.5, 1)]  # fmt: skip
    return {
        "lines": lines,
        "ticks": ticks,
        "start": start.isoformat(),
        "stop": stop.isoformat(),
        "left": left,
        "right": right,
        "bottom": bottom,
        "height": height,
        "rows": [
            {"side": side, "provider": o["provider"]["name"], "source": source, **r}
            for side, o, source, rows in series
            for r in rows
        ],
    }


def doc_name(doc: dict, side: str) -> str:
    if doc.get("kind") == "pair":
        return doc["models"][side]["name"]
    return doc["name"]


# --- rendering ----------------------------------------------------------------------------
def render_site(docs: dict[str, bytes]) -> dict[str, bytes]:
    """Every page of the release, keyed by release-relative path (``site/...``)."""
    env = _environment()
    catalog = json.loads(docs[f"{CONTRACT}/catalog.json"])
    names = {m["id"]: m["name"] for m in catalog["models"]}
    published = [m for m in catalog["models"] if m["published"]]
    pages: dict[str, bytes] = {}
    pair_links = []
    for entry in catalog["pairs"]:
        doc = json.loads(docs[f"{CONTRACT}/{entry['document']}"])
        path = f"pairs/{doc['id']}.html"
        pages[f"{SITE}/{path}"] = _render(env, "pair.html", pair_context(doc), depth=1)
        pair_links.append(
            {"href": path, "a": names.get(entry["a"], entry["a"]), "b": names.get(entry["b"], entry["b"])}
        )  # fmt: skip
    model_links = []
    for entry in published:
        doc = json.loads(docs[f"{CONTRACT}/{entry['document']}"])
        path = f"models/{safe_slug(doc['id'])}.html"
        pairs = [p for p in catalog["pairs"] if doc["id"] in (p["a"], p["b"])]
        pages[f"{SITE}/{path}"] = _render(
            env, "model.html", model_context(doc, pairs, names), depth=1
        )
        model_links.append(
            {"href": path, "name": entry["name"], "last_reviewed": entry["last_reviewed"]}
        )
    pages[f"{SITE}/index.html"] = _render(
        env,
        "index.html",
        {
            "title": "Model comparisons",
            "catalog": catalog,
            "pairs": pair_links,
            "models": model_links,
            "num_models": len(catalog["models"]),
        },
        depth=0,
    )
    return pages


def _render(env: jinja2.Environment, name: str, context: dict, depth: int) -> bytes:
    root = "../" * depth
    text = env.get_template(name).render(root=root, colors=COLORS, labels=LABELS, **context)
    return text.encode("utf-8")


def pair_context(doc: dict) -> dict:
    page = Page(doc, doc["stale_sources"])
    key_rows = [
        ("Cheapest input", "price", doc["prices"]["input"]),
        ("Cheapest output", "price", doc["prices"]["output"]),
        ("Blended price", "price", doc["prices"]["blended"]),
        (LABELS["context_window"], "limit", doc["limits"]["context_window"]),
        (LABELS["max_output_tokens"], "limit", doc["limits"]["max_output_tokens"]),
        *[(LABELS[c], "capability", doc["capabilities"][c]) for c in CAPABILITIES],
        (LABELS["license"], "license", doc["license"]),
        (LABELS["open_weights"], "license", doc["open_weights"]),
        (LABELS["release_date"], "release", doc["release_date"]),
    ]
    rows = []
    for label, kind, pair in key_rows:
        cells = {}
        for side in ("a", "b"):
            fact = pair[side]
            cell = page.show(fact, "license" if label == "License" else "")
            if fact.get("provider_name") and cell["known"]:
                cell["where"] = fact["provider_name"]
            cells[side] = cell
        rows.append({"label": label, "kind": kind, **cells})
    statements = [
        {**s, "refs": page.refs(s["sources"])}
        for s in doc["statements"]
    ]  # fmt: skip
    groups = {
        "summary": [s for s in statements if s["kind"] not in ("recommendation", "conflict", "stale", "missing")],
        "recommendation": [s for s in statements if s["kind"] == "recommendation"],
        "caveats": [s for s in statements if s["kind"] in ("conflict", "stale", "missing")],
    }  # fmt: skip
    sides = doc["offerings"]
    end = max(
        (h["last_seen"] for s in sides.values() for o in s for h in o["price_history"] if h["last_seen"]),
        default=None,
    )  # fmt: skip
    offering_rows = [
        {
            "side": side,
            "provider": o["provider"]["name"],
            "region": o["region"],
            "variant": o["variant"],
            "free": o["free"],
            "input": page.show(o["input"]),
            "output": page.show(o["output"]),
        }
        for side in ("a", "b")
        for o in sides[side]
        if o["listed_now"]
    ]
    monthly = [
        {
            "profile": m["profile"],
            "cached_pct": pct(decimal.Decimal(str(m["profile"]["cached_input_share"])) * 100),
            "a": page.show(m["a"]),
            "b": page.show(m["b"]),
            "where": {s: m[s].get("provider_name") for s in ("a", "b")},
            "cheaper": m["cheaper"],
        }
        for m in doc["monthly_costs"]
    ]
    return {
        "title": f"{doc['models']['a']['name']} vs {doc['models']['b']['name']}",
        "doc": doc,
        "rows": rows,
        "groups": groups,
        "offering_rows": offering_rows,
        "monthly": monthly,
        "bars": provider_bars(doc, sides, page),
        "history": _with_refs(history_chart(doc, sides, end), page),
        "benchmarks": [
            {
                "name": b["name"],
                "setting": b["setting"],
                "a": page.show(b["a"]),
                "b": page.show(b["b"]),
            }
            for b in doc["shared_benchmarks"]
        ],
        "sources": _source_list(page),
        "json_path": f"{CONTRACT}/pairs/{doc['id']}.json",
        "model_pages": {
            side: f"models/{safe_slug(doc['models'][side]['id'])}.html" for side in ("a", "b")
        },
    }


def model_context(doc: dict, pairs: list[dict], names: dict[str, str]) -> dict:
    page = Page(doc, doc["stale_sources"])
    facts = [
        {"label": LABELS.get(name, name), **page.show(fact, "license" if name == "license" else "")}
        for name, fact in doc["facts"].items()
    ]  # fmt: skip
    listed = [o for o in doc["offerings"] if o["listed_now"]]
    as_pair = {
        "a": [
            {
                **o,
                "input": o["prices"].get("input") or {"value": None},
                "output": o["prices"].get("output") or {"value": None},
            }
            for o in listed
        ]
    }
    end = max(
        (h["last_seen"] for o in listed for h in o["price_history"] if h["last_seen"]),
        default=None,
    )
    offering_rows = [
        {
            "provider": o["provider"]["name"],
            "region": o["region"],
            "variant": o["variant"],
            "free": o["free"],
            "input": page.show(o["prices"].get("input")),
            "output": page.show(o["prices"].get("output")),
            "cache_read": page.show(o["prices"].get("cache_read")),
            "context": page.show(o["limits"]["context_window"]),
            "max_output": page.show(o["limits"]["max_output_tokens"]),
        }
        for o in listed
    ]
    return {
        "title": doc["name"],
        "doc": doc,
        "facts": facts,
        "cheapest": {k: page.show(v) | {"where": v.get("provider_name")} for k, v in doc["cheapest_paid"].items()},
        "offering_rows": offering_rows,
        "benchmarks": [{"name": b["name"], "setting": b["setting"], **page.show(b)} for b in doc["benchmarks"]],
        "bars": provider_bars(doc, as_pair, page),
        "history": _with_refs(history_chart(doc, as_pair, end), page),
        "sources": _source_list(page),
        "json_path": f"{CONTRACT}/models/{safe_slug(doc['id'])}.json",
        "pairs": [
            {
                "href": f"pairs/{p['id']}.html",
                "other": names.get(p["b"] if p["a"] == doc["id"] else p["a"], ""),
            }
            for p in pairs
        ],
    }  # fmt: skip


def _with_refs(history: dict | None, page: Page) -> dict | None:
    """History rows name their source but no response: point each at the page's numbered
    entry for a response of that source, when the page cites one."""
    if history is None:
        return None
    first = {}
    for rid, number in sorted(page.numbers.items(), key=lambda kv: kv[1]):
        first.setdefault(page.sources[rid]["source"], number)
    for row in history["rows"]:
        row["ref"] = first.get(row["source"])
    return history


def _source_list(page: Page) -> list[dict]:
    out = []
    for rid, number in sorted(page.numbers.items(), key=lambda kv: kv[1]):
        meta = page.sources[rid]
        out.append(
            {
                "number": number,
                "id": rid,
                "title": meta["title"] or meta["source"],
                "source": meta["source"],
                "url": meta["url"],
                "href": safe_url(meta["url"]),
                "fetched_at": meta["fetched_at"],
                "approximate": meta["fetched_at_approximate"],
                "made_fixture": meta["made_fixture"],
                "stale": page.stale.get(meta["source"]),
            }
        )
    return out
