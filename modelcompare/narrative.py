"""Sentences for a pair, each generated from one fact of the pair document and citing it.

``pair_statements(doc)`` reads a finished pair document (plain JSON values) and returns
``[{"text", "kind", "about", "sources"}]``. ``about`` names the one fact a sentence states
(``prices.input``, ``capabilities.only_b``, ``conflict.offering.<id>.input``…); it is what
sentences are deduplicated by, so no two sentences state the same fact. Recommendations are
``about`` ``recommendation.<criterion>`` and a criterion is decided for one model only, so no
recommendation contradicts another. Percentages say which way they go: "cheaper" is the saving
relative to the dearer price and never exceeds 100%; a rise is "more expensive". Where a fact
is missing, the sentence says what is missing and why.
"""

from __future__ import annotations

import decimal
from collections import defaultdict

SIDES = ("a", "b")
CAPABILITY_WORDS = {
    "vision": "image input (vision)",
    "reasoning": "reasoning",
    "tool_calling": "tool calling",
    "structured_output": "structured output",
}
KIND_WORDS = {"input": "input", "output": "output"}


class NarrativeError(ValueError):
    """The facts would make a sentence say something false (e.g. "150% cheaper")."""


# --- formatting ---------------------------------------------------------------------------
def usd(value) -> str:
    """A USD amount with at least two decimals and every digit the source gave: 0.5 → 0.50,
    0.015 → 0.015, 135 → 135.00."""
    number = decimal.Decimal(str(value))
    if number == number.quantize(decimal.Decimal("0.01")):
        return f"{number:,.2f}"
    return f"{number.normalize():,f}"


def tokens(value) -> str:
    return f"{int(value):,}"


def pct(value) -> str:
    number = decimal.Decimal(str(value))
    return f"{number.normalize():f}" if number != number.to_integral_value() else f"{int(number)}"


def _list(words: list[str]) -> str:
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _sources(*facts) -> list[str]:
    """The responses a sentence about these facts cites: what states each value, what disagrees
    with it, and for an unknown value what was stated and refused."""
    out = set()
    for fact in facts:
        if isinstance(fact, dict):
            out.update(fact.get("sources") or [])
            for side in fact.get("conflict") or []:
                out.update(side.get("sources") or [])
            if fact.get("value") is None:
                for side in fact.get("rejected") or []:
                    out.update(side.get("sources") or [])
    return sorted(out)


def saving(low, high, stated) -> decimal.Decimal:
    """The stated saving, checked against the two prices: (high - low) / high, in percent, at
    most 100 (a bigger gap is a rise, "more expensive", never "cheaper"). Rounded to a tenth,
    a saving under 0.05 % is stated as 0.0 and one of 99.95 % or more as 100.0, though the
    prices still differ and the cheaper one still costs something (see cheaper_by)."""
    low, high = decimal.Decimal(str(low)), decimal.Decimal(str(high))
    if stated is None or not 0 < low < high:
        raise NarrativeError(f"no saving between {low} and {high} (stated {stated})")
    exact = (high - low) / high * 100
    stated = decimal.Decimal(str(stated))
    if not 0 <= stated <= 100 or abs(exact - stated) > decimal.Decimal("0.051"):
        raise NarrativeError(f"{low} against {high} is {exact:.2f}% cheaper, not {stated}%")
    return stated


def cheaper_by(cut: decimal.Decimal) -> str:
    """The saving in words: "60% cheaper"; at the ends of the rounding, "less than 0.05%
    cheaper" (stated 0.0) and "more than 99.9% cheaper" (stated 100.0, yet not free)."""
    if cut == 0:
        return "less than 0.05% cheaper"
    if cut == 100:
        return "more than 99.9% cheaper"
    return f"{pct(cut)}% cheaper"


def _known(fact) -> bool:
    return isinstance(fact, dict) and fact.get("value") is not None


def _why(fact: dict) -> str:
    missing = fact.get("missing") or {}
    return missing.get("text") or "no source states it"


# --- the statements -----------------------------------------------------------------------
class _Writer:
    def __init__(self, doc: dict):
        self.doc = doc
        self.name = {side: doc["models"][side]["name"] for side in SIDES}
        self.out: list[dict] = []
        self.seen_about: set[str] = set()
        self.seen_text: set[str] = set()

    def say(self, kind: str, about: str, text: str, sources: list[str]) -> None:
        if about in self.seen_about or text in self.seen_text:
            return
        self.seen_about.add(about)
        self.seen_text.add(text)
        self.out.append({"text": text, "kind": kind, "about": about, "sources": sources})

    def other(self, side: str) -> str:
        return "b" if side == "a" else "a"

    # prices ---------------------------------------------------------------------------
    def prices(self) -> None:
        for kind in ("input", "output"):
            entry = self.doc["prices"][kind]
            a, b = entry["a"], entry["b"]
            if not (_known(a) and _known(b)):
                for side in SIDES:
                    if not _known(entry[side]):
                        self.say(
                            "missing",
                            f"prices.{kind}.{side}",
                            f"No paid {kind} price of {self.name[side]} to compare: "
                            f"{_why(entry[side])}.",
                            _sources(entry[side]),
                        )
                continue
            routes = f"({a['provider_name']} and {b['provider_name']})"
            if entry["cheaper"] == "same":
                text = (
                    f"{self.name['a']} and {self.name['b']} cost the same for {kind} tokens: "
                    f"USD {usd(a['value'])} per million on their cheapest paid routes {routes}."
                )
            else:
                side = entry["cheaper"]
                low, high = entry[side], entry[self.other(side)]
                cut = saving(low["value"], high["value"], entry["pct_cheaper"])
                text = (
                    f"{self.name[side]} is {cheaper_by(cut)} than "
                    f"{self.name[self.other(side)]} for {kind} tokens: USD {usd(low['value'])} "
                    f"against {usd(high['value'])} per million on their cheapest paid routes "
                    f"({low['provider_name']} and {high['provider_name']})."
                )
            self.say("price", f"prices.{kind}", text, _sources(a, b))

        entry = self.doc["prices"]["blended"]
        a, b = entry["a"], entry["b"]
        if _known(a) and _known(b) and entry["cheaper"] in SIDES:
            blend = self.doc["assumptions"]["blend"]
            side = entry["cheaper"]
            cut = saving(
                entry[side]["value"], entry[self.other(side)]["value"], entry["pct_cheaper"]
            )
            self.say(
                "price",
                "prices.blended",
                f"Weighting input and output tokens {blend['input_weight']}:"
                f"{blend['output_weight']}, {self.name['a']} costs USD {usd(a['value'])} and "
                f"{self.name['b']} USD {usd(b['value'])} per million blended tokens, so "
                f"{self.name[side]} is {cheaper_by(cut)}.",
                _sources(a, b),
            )

    def shared_provider_prices(self) -> None:
        offerings = self.doc["offerings"]
        for provider in self.doc["shared_providers"]:
            found = {}
            for side in SIDES:
                rows = [
                    o
                    for o in offerings[side]
                    if o["provider"]["id"] == provider
                    and o["listed_now"]
                    and o["region"] is None
                    and o["variant"] is None
                    and _known(o["input"])
                    and _known(o["output"])
                ]
                if rows:
                    found[side] = rows[0]
            if len(found) < 2:
                continue
            a, b = found["a"], found["b"]
            self.say(
                "price",
                f"provider.{provider}",
                f"At {a['provider']['name']}, {self.name['a']} costs USD {usd(a['input']['value'])} "
                f"in and {usd(a['output']['value'])} out per million tokens; {self.name['b']} costs "
                f"{usd(b['input']['value'])} in and {usd(b['output']['value'])} out.",
                _sources(a["input"], a["output"], b["input"], b["output"]),
            )

    def monthly(self) -> None:
        for item in self.doc["monthly_costs"]:
            profile = item["profile"]
            a, b = item["a"], item["b"]
            cached = decimal.Decimal(str(profile["cached_input_share"])) * 100
            shape = (
                f"{tokens(profile['requests_per_month'])} requests a month of "
                f"{tokens(profile['input_tokens_per_request'])} tokens in and "
                f"{tokens(profile['output_tokens_per_request'])} out"
                + (f", {pct(cached)}% of input cached" if cached else "")
            )
            if not (_known(a) and _known(b)):
                continue  # the missing route is already stated under prices
            self.say(
                "cost",
                f"monthly_costs.{profile['id']}",
                f"For {shape} ({profile['id']}), {self.name['a']} costs USD {usd(a['value'])} a "
                f"month ({a['provider_name']}) and {self.name['b']} USD {usd(b['value'])} "
                f"({b['provider_name']}).",
                _sources(a, b),
            )

    def providers(self) -> None:
        shared = self.doc["shared_providers"]
        names = {}
        counts = {}
        facts = []
        for side in SIDES:
            paid = {
                o["provider"]["id"]: o["provider"]["name"]
                for o in self.doc["offerings"][side]
                if o["listed_now"] and not o["free"] and _known(o["input"])
            }
            names.update(paid)
            counts[side] = len(paid)
            facts += [
                o["input"] for o in self.doc["offerings"][side] if o["provider"]["id"] in shared
            ]
        if shared:
            self.say(
                "providers",
                "shared_providers",
                f"Both are served by {_list([names.get(p, p) for p in shared])}.",
                _sources(*facts),
            )
        else:
            self.say(
                "providers",
                "shared_providers",
                "No provider serves both.",
                [],
            )
        return counts

    # limits and capabilities -----------------------------------------------------------
    def limits(self) -> None:
        ctx = self.doc["limits"]["context_window"]
        a, b = ctx["a"], ctx["b"]
        if _known(a) and _known(b):
            if a["value"] == b["value"]:
                text = f"Both take up to {tokens(a['value'])} tokens of context."
            else:
                text = (
                    f"{self.name['a']} takes up to {tokens(a['value'])} tokens of context, "
                    f"{self.name['b']} up to {tokens(b['value'])}."
                )
            self.say("limit", "limits.context_window", text, _sources(a, b))
        for side in SIDES:
            if not _known(ctx[side]):
                self.say(
                    "missing",
                    f"limits.context_window.{side}",
                    f"The context window of {self.name[side]} is unknown: {_why(ctx[side])}.",
                    _sources(ctx[side]),
                )
        out = self.doc["limits"]["max_output_tokens"]
        parts = [
            f"{tokens(out[s]['value'])} tokens for {self.name[s]} ({out[s]['provider_name']})"
            for s in SIDES
            if _known(out[s])
        ]
        if len(parts) == 2:
            self.say(
                "limit",
                "limits.max_output_tokens",
                f"The longest response a listed provider allows is {parts[0]} and {parts[1]}.",
                _sources(out["a"], out["b"]),
            )

    def capabilities(self) -> None:
        caps = self.doc["capabilities"]
        groups = defaultdict(list)
        for cap, words in CAPABILITY_WORDS.items():
            a, b = caps[cap]["a"], caps[cap]["b"]
            for side in SIDES:
                if not _known(caps[cap][side]):
                    self.say(
                        "missing",
                        f"capabilities.{cap}.{side}",
                        f"Whether {self.name[side]} supports {words} is unknown: "
                        f"{_why(caps[cap][side])}.",
                        _sources(caps[cap][side]),
                    )
            if not (_known(a) and _known(b)):
                continue
            group = {
                (True, True): "both",
                (False, False): "neither",
                (True, False): "only_a",
                (False, True): "only_b",
            }[(bool(a["value"]), bool(b["value"]))]
            groups[group].append(cap)
        for group, listed in groups.items():
            words = _list([CAPABILITY_WORDS[c] for c in listed])
            facts = [caps[c][s] for c in listed for s in SIDES]
            if group == "both":
                text = f"Both support {words}."
            elif group == "neither":
                text = f"Neither supports {words}, per their sources."
            else:
                side = group[-1]
                text = (
                    f"Only {self.name[side]} supports {words}; "
                    f"{self.name[self.other(side)]} does not, per its sources."
                )
            self.say("capability", f"capabilities.{group}", text, _sources(*facts))

    def license(self) -> None:
        lic, ow = self.doc["license"], self.doc["open_weights"]
        for side in SIDES:
            if not _known(lic[side]):
                self.say(
                    "missing",
                    f"license.{side}",
                    f"The license of {self.name[side]} is unknown: {_why(lic[side])}.",
                    _sources(lic[side]),
                )
        parts = []
        for side in SIDES:
            if _known(lic[side]):
                label = lic[side].get("name") or lic[side]["value"]
                parts.append(f"{self.name[side]} is released under {label}")
        if parts:
            self.say("license", "license", "; ".join(parts) + ".", _sources(lic["a"], lic["b"]))
        if _known(ow["a"]) and _known(ow["b"]):
            if ow["a"]["value"] and ow["b"]["value"]:
                text = "Both publish their weights for download."
            elif not ow["a"]["value"] and not ow["b"]["value"]:
                text = "Neither publishes its weights; both are served through APIs only."
            else:
                side = "a" if ow["a"]["value"] else "b"
                text = (
                    f"Only {self.name[side]} publishes its weights for download; "
                    f"{self.name[self.other(side)]} is available through APIs only."
                )
            self.say("license", "open_weights", text, _sources(ow["a"], ow["b"]))

    def release(self) -> None:
        rel = self.doc["release_date"]
        known = [s for s in SIDES if _known(rel[s])]
        if len(known) == 2:
            text = (
                f"{self.name['a']} was released on {rel['a']['value']}, "
                f"{self.name['b']} on {rel['b']['value']}."
            )
            self.say("release", "release_date", text, _sources(rel["a"], rel["b"]))
        elif known:
            side = known[0]
            self.say(
                "release",
                f"release_date.{side}",
                f"{self.name[side]} was released on {rel[side]['value']}.",
                _sources(rel[side]),
            )
        for side in SIDES:
            if not _known(rel[side]):
                self.say(
                    "missing",
                    f"release_date.{side}",
                    f"The release date of {self.name[side]} is unknown: {_why(rel[side])}.",
                    _sources(rel[side]),
                )

    def benchmarks(self) -> None:
        for bench in self.doc["shared_benchmarks"]:
            a, b = bench["a"], bench["b"]
            if not (_known(a) and _known(b)):
                continue
            setting = f" ({bench['setting']})" if bench["setting"] else ""
            self.say(
                "benchmark",
                f"benchmark.{bench['name']}|{bench['setting']}",
                f"On {bench['name']}{setting}, {self.name['a']} scores {a['value']} and "
                f"{self.name['b']} {b['value']}.",
                _sources(a, b),
            )

    # recommendations -------------------------------------------------------------------
    def recommend(self, provider_counts: dict) -> None:
        """At most one model per criterion: a criterion that ties recommends nothing. A
        recommendation names its reason without repeating the figures stated above it."""
        blended = self.doc["prices"]["blended"]
        if blended["cheaper"] in SIDES and _known(blended["a"]) and _known(blended["b"]):
            side = blended["cheaper"]
            self.say(
                "recommendation",
                "recommendation.cost",
                f"Choose {self.name[side]} if cost matters most: it has the lower blended price.",
                _sources(blended["a"], blended["b"]),
            )
        ctx = self.doc["limits"]["context_window"]
        if ctx["larger"] in SIDES:
            side = ctx["larger"]
            self.say(
                "recommendation",
                "recommendation.context",
                f"Choose {self.name[side]} for long inputs: it has the larger context window.",
                _sources(ctx["a"], ctx["b"]),
            )
        caps = self.doc["capabilities"]
        for side in SIDES:
            for cap in caps[f"only_{side}"]:
                self.say(
                    "recommendation",
                    f"recommendation.need.{cap}",
                    f"Choose {self.name[side]} if you need {CAPABILITY_WORDS.get(cap, cap)}.",
                    _sources(caps[cap]["a"], caps[cap]["b"]),
                )
        ow = self.doc["open_weights"]
        if _known(ow["a"]) and _known(ow["b"]) and ow["a"]["value"] != ow["b"]["value"]:
            side = "a" if ow["a"]["value"] else "b"
            self.say(
                "recommendation",
                "recommendation.open_weights",
                f"Choose {self.name[side]} if you need to run the model yourself.",
                _sources(ow["a"], ow["b"]),
            )
        if provider_counts["a"] != provider_counts["b"]:
            side = "a" if provider_counts["a"] > provider_counts["b"] else "b"
            facts = [o["input"] for s in SIDES for o in self.doc["offerings"][s]]
            self.say(
                "recommendation",
                "recommendation.providers",
                f"Choose {self.name[side]} for the wider choice of providers: "
                f"{provider_counts[side]} serve it at a listed paid price, against "
                f"{provider_counts[self.other(side)]} for {self.name[self.other(side)]}.",
                _sources(*facts),
            )

    # caveats --------------------------------------------------------------------------
    def conflicts(self) -> None:
        sources = self.doc["sources"]

        def title(rid: str, fallback: str) -> str:
            text = sources.get(rid, {}).get("title") or fallback
            return text.split(" (")[0]  # "models.dev catalog (repository …)" → "models.dev catalog"

        def who(sides: list[dict]) -> str:
            titles = []
            for side in sides:
                for rid in side.get("sources") or []:
                    name = title(rid, side.get("source") or "a source")
                    if name not in titles:
                        titles.append(name)
            return _list(titles)

        def show(value, unit):
            if unit == "usd_per_million_tokens":
                return f"USD {usd(value)}"
            if unit == "tokens":
                return f"{tokens(value)} tokens"
            if unit == "bool":
                return "yes" if value else "no"
            return str(value)

        def one(about: str, subject: str, label: str, fact: dict) -> None:
            conflict = fact.get("conflict") or []
            if not conflict or not _known(fact):
                return
            chosen = [
                rid
                for rid in fact["sources"]
                if sources.get(rid, {}).get("source") == fact.get("chosen_source")
            ]
            lead = title(chosen[0], fact["chosen_source"]) if chosen else fact["chosen_source"]
            agreeing = {title(rid, "") for rid in fact["sources"]} - {lead}
            shown = f"{show(fact['value'], fact['unit'])} is shown, per {lead}"
            if agreeing:
                shown += (
                    f" and {len(agreeing)} more agreeing source{'s' if len(agreeing) > 1 else ''}"
                )
            parts = []
            by_value = defaultdict(list)
            for c in conflict:
                if c.get("kind") == "offering limits below context":
                    by_value[("limits", c["stated"])].append(c)
                else:
                    by_value[("value", repr(c["value"]))].append(c)
            for (what, _), group in by_value.items():
                providers = sorted({c["provider"] for c in group if c.get("provider")})
                where = f" (listed for {_list(providers)})" if providers else ""
                if what == "limits":
                    parts.append(f"{who(group)} lists {group[0]['stated']}{where}")
                else:
                    parts.append(f"{show(group[0]['value'], fact['unit'])} per {who(group)}{where}")
            self.say(
                "conflict",
                about,
                f"Sources disagree on the {label} of {subject}: {shown}; " + "; ".join(parts) + ".",
                _sources(fact),
            )

        for side in SIDES:
            name = self.name[side]
            mid = self.doc["models"][side]["id"]
            one(f"conflict.model.{mid}.context_window", name, "context window",
                self.doc["limits"]["context_window"][side])  # fmt: skip
            for cap, words in CAPABILITY_WORDS.items():
                one(f"conflict.model.{mid}.{cap}", name, f"support for {words}",
                    self.doc["capabilities"][cap][side])  # fmt: skip
            one(f"conflict.model.{mid}.license", name, "license", self.doc["license"][side])
            one(f"conflict.model.{mid}.open_weights", name, "open weights",
                self.doc["open_weights"][side])  # fmt: skip
            one(f"conflict.model.{mid}.release_date", name, "release date",
                self.doc["release_date"][side])  # fmt: skip
            for offering in self.doc["offerings"][side]:
                if not offering["listed_now"]:
                    continue
                where = (
                    offering["provider"]["name"]
                    + (f" ({offering['region']})" if offering["region"] else "")
                    + (f" via {offering['variant']}" if offering["variant"] else "")
                )
                for kind in ("input", "output"):
                    one(f"conflict.offering.{offering['id']}.{kind}", f"{name} at {where}",
                        f"{kind} price", offering[kind])  # fmt: skip
        for bench in self.doc["shared_benchmarks"]:
            for side in SIDES:
                one(f"conflict.benchmark.{self.doc['models'][side]['id']}.{bench['name']}",
                    self.name[side], f"{bench['name']} score", bench[side])  # fmt: skip

    def stale(self) -> None:
        stale = self.doc["stale_sources"]
        if not stale:
            return
        names = {s["source"] for s in stale}
        cited = sorted(rid for rid, r in self.doc["sources"].items() if r["source"] in names)
        parts = [
            f"{s['title'] or s['source']} (last good fetch {s['last_good_fetch_date']}, "
            f"due every {s['max_age_days']} days)"
            for s in stale
        ]
        self.say(
            "stale",
            "stale_sources",
            "Some figures come from sources that are past their refresh age: " + _list(parts) + ".",
            cited,
        )


def pair_statements(doc: dict) -> list[dict]:
    """The pair's sentences, in page order: prices, costs, limits, capabilities, license,
    release, benchmarks, recommendations, then caveats (conflicts, stale sources)."""
    writer = _Writer(doc)
    writer.prices()
    writer.shared_provider_prices()
    writer.monthly()
    counts = writer.providers()
    writer.limits()
    writer.capabilities()
    writer.license()
    writer.release()
    writer.benchmarks()
    writer.recommend(counts)
    writer.conflicts()
    writer.stale()
    check(writer.out)
    return writer.out


def check(statements: list[dict]) -> None:
    """Refuse statements that repeat a fact or a sentence, or recommend both models for one
    criterion, or call a saving above 100% "cheaper"."""
    abouts = [s["about"] for s in statements]
    texts = [s["text"] for s in statements]
    if len(set(abouts)) != len(abouts) or len(set(texts)) != len(texts):
        raise NarrativeError("two statements state the same fact")
    for s in statements:
        for word in s["text"].split():
            if word.endswith("%") and "cheaper" in s["text"]:
                number = decimal.Decimal(word.rstrip("%"))
                if number >= 100:
                    raise NarrativeError(f"a saving of {number}% is stated: {s['text']!r}")
