"""The attacker: tries to work out a count of 1 to the limit from a published fairness record.

It uses only what the record publishes: sizes, rates (rate x size gives a numerator, and a
size minus it the complement), the overall figures, and subtraction across every relation (a
feature's groups sum to everyone; an intersection's cells sharing a group sum to that group).
It returns every recovery it manages, so a test asserts it returns nothing.
"""

from __future__ import annotations

from typing import Any

RATE_CELLS = {
    # rate: (numerator, denominator) over the counts below
    "selection_rate": ("PP", "n"),
    "base_rate": ("P", "n"),
    "accuracy": ("correct", "n"),
    "true_positive_rate": ("TP", "P"),
    "false_negative_rate": ("FN", "P"),
    "false_positive_rate": ("FP", "N"),
    "true_negative_rate": ("TN", "N"),
    "precision": ("TP", "PP"),
}
COMPLEMENTS = {"PP": "PN", "P": "N", "correct": "wrong", "TP": None, "FN": None}


def counts_from(n: float, metrics: dict[str, Any] | None) -> dict[str, float]:
    """Every count a group's published size and rates give away."""
    known: dict[str, float] = {"n": n}
    rates = {m: e["value"] for m, e in (metrics or {}).items() if e and e["value"] is not None}
    for _ in range(3):  # later rates need earlier denominators
        for rate, value in rates.items():
            if rate not in RATE_CELLS:
                continue
            numerator, denominator = RATE_CELLS[rate]
            if denominator in known:
                known[numerator] = value * known[denominator]
        for a, b in (("PP", "PN"), ("P", "N"), ("correct", "wrong")):
            if a in known:
                known[b] = n - known[a]
        if "P" in known and "TP" in known:
            known["FN"] = known["P"] - known["TP"]
        if "N" in known and "FP" in known:
            known["TN"] = known["N"] - known["FP"]
    return {k: round(v, 6) for k, v in known.items()}


def _small(value: float, limit: int) -> bool:
    return 0.5 <= value < limit + 0.5


def recoveries(payload: dict[str, Any]) -> list[str]:
    """Every count of 1 to the limit the attacker can work out from ``payload``."""
    limit = int(payload["settings"]["suppress_counts_up_to"])
    found: list[str] = []
    total = payload["overall"]["count"]
    if not isinstance(total, int):
        if payload["overall"]["metrics"]:
            found.append("overall: rates of a suppressed size")
        overall: dict[str, float] = {}
    else:
        overall = counts_from(total, payload["overall"]["metrics"] or None)
    for name, value in overall.items():
        if _small(value, limit):
            found.append(f"overall {name} = {value}")
    by_feature: dict[str, dict[str, dict[str, Any]]] = {}
    for feature in payload["features"]:
        groups = {g["group"]: g for g in feature["groups"]}
        by_feature[feature["feature"]] = groups
        published = {}
        for label, g in groups.items():
            if g["metrics"] is not None and g["count"] == "c":
                found.append(f"{feature['feature']}/{label}: rates of a suppressed size")
            if isinstance(g["count"], int) and g["metrics"] is not None:
                published[label] = counts_from(g["count"], g["metrics"])
                found += [
                    f"{feature['feature']}/{label}: {k} = {v}"
                    for k, v in published[label].items()
                    if _small(v, limit)
                ]
            elif isinstance(g["count"], int) and _small(g["count"], limit):
                found.append(f"{feature['feature']}/{label}: size {g['count']}")
        found += _difference(feature["feature"], groups, published, overall, limit)
        withheld = {label for label, g in groups.items() if g["metrics"] is None}
        for metric, estimate in feature["disparities"].items():
            if estimate["value"] is not None and set(estimate.get("groups") or ()) & withheld:
                found.append(f"{feature['feature']}: {metric} compares a withheld group")
    for feature in payload["features"]:
        members = feature["feature"].split("-")
        if len(members) < 2:
            continue
        cells = by_feature[feature["feature"]]
        for position, member in enumerate(members):
            for level, margin in by_feature.get(member, {}).items():
                inside = {
                    label: g for label, g in cells.items() if label.split(" / ")[position] == level
                }
                margin_counts = (
                    counts_from(margin["count"], margin["metrics"])
                    if isinstance(margin["count"], int) and margin["metrics"] is not None
                    else ({"n": margin["count"]} if isinstance(margin["count"], int) else {})
                )
                inside_published = {
                    label: counts_from(g["count"], g["metrics"])
                    for label, g in inside.items()
                    if isinstance(g["count"], int) and g["metrics"] is not None
                }
                found += _difference(
                    f"{feature['feature']}[{level}]", inside, inside_published, margin_counts, limit
                )
    for threshold in payload["thresholds"]:
        groups = by_feature.get(threshold["feature"], {})
        named = set(threshold["estimate"].get("groups") or ())
        if threshold["estimate"]["value"] is not None and any(
            groups.get(g, {}).get("metrics") is None for g in named
        ):
            found.append(f"threshold {threshold['metric']} compares a withheld group")
    return found


def _difference(
    where: str,
    groups: dict[str, dict[str, Any]],
    published: dict[str, dict[str, float]],
    total: dict[str, float],
    limit: int,
) -> list[str]:
    """Subtract what is published from a known total: the rest belongs to the hidden groups."""
    found = []
    sizes_hidden = [label for label, g in groups.items() if not isinstance(g["count"], int)]
    if sizes_hidden and "n" in total:
        rest = total["n"] - sum(g["count"] for g in groups.values() if isinstance(g["count"], int))
        if _small(rest, limit):
            found.append(f"{where}: hidden sizes add up to {rest}")
    unpublished = [label for label in groups if label not in published]
    if unpublished:
        for name, value in total.items():
            if name == "n" or not all(name in p for p in published.values()):
                continue
            rest = value - sum(p[name] for p in published.values())
            if _small(rest, limit):
                found.append(f"{where}: hidden {name} add up to {rest}")
    return found


def monitoring_recoveries(kind: str, payload: dict[str, Any]) -> list[str]:
    """Every count of 1 to the limit the attacker can work out from a reference profile or a
    monitoring record: each published bin count, subtraction within a feature's bins (they
    sum to everyone), and the groups' sizes and rates against everyone and the predictions'
    flagged count, through the fairness attacker above."""
    limit = 5
    found: list[str] = []
    total = payload["count"]
    if kind == "csc.reference_profile":
        limit = int(payload["suppress_counts_up_to"])
        features = [
            (f["feature"], [(tuple(b["labels"]), b["count"]) for b in f["bins"]])
            for f in payload["features"]
        ]
    else:
        features = [
            (d["feature"], [(tuple(b[0]), b[2]) for b in d["bins"]]) for d in payload["drift"]
        ]
        features += [
            (f"{d['feature']} (reference)", [(tuple(b[0]), b[1]) for b in d["bins"]])
            for d in payload["drift"]
        ]
    flagged = None
    for name, bins in features:
        found += [f"{name}/{labels}: {count}" for labels, count in bins if _small(count, limit)]
        if bins and "(reference)" not in name and sum(c for _, c in bins) != total:
            found.append(f"{name}: bins do not add up to everyone")
        if name == "prediction" and len(bins) == 2:
            flagged = next((c for labels, c in bins if labels == ("Flagged",)), None)
    if _small(total, limit):
        found.append(f"count {total}")
    overall_metrics = (
        {"selection_rate": {"value": flagged / total}} if flagged is not None and total else {}
    )
    pseudo = {
        "settings": {"suppress_counts_up_to": limit},
        "overall": {"count": total, "metrics": overall_metrics},
        "features": [{**f, "disparities": {}} for f in payload["groups"]],
        "thresholds": [],
    }
    return found + recoveries(pseudo)
