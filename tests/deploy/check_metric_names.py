#!/usr/bin/env python3
"""Every metric and label that the alert rules and dashboards query must be
exported by the services.

Usage: check_metric_names.py REPO_DIR
       check_metric_names.py REPO_DIR --live PAGE...   (scraped /metrics pages)

Reads deploy/prometheus/rules/*.yml and deploy/grafana/dashboards/*.json,
pulls the metric names and label names out of each PromQL expression and
looks for each as a quoted string in services/**/*.{cc,h} (how prometheus-cpp
metrics are named there). Histogram series (_bucket, _sum, _count) count as
their base name; names with a colon must be recording rules defined in the
rules. Names listed in tests/deploy/pending_metrics.txt are announced but
not exported yet: reported as pending (an error with IOP_DEPLOY_STRICT_METRICS=1).
Also checks the dashboards' structure: unique uids, datasource variable used
by every query. Exits 1 on any error.
"""
import json
import os
import pathlib
import re
import sys

import yaml

# Series Prometheus makes itself, and labels it attaches to every scrape.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE"}
TARGET_LABELS = {"job", "instance", "le", "__name__", "service", "namespace", "pod", "node"}
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "offset", "inf", "nan", "atan2"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
IDENT = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


def strip_grafana(expr):
    return re.sub(r"\$\{[^}]*\}|\$[a-zA-Z_]\w*", "", expr)


def labels_in(expr):
    """Label names used in matchers and in by/without/on/ignoring/group_x clauses."""
    expr = strip_grafana(expr)
    names = set()
    for block in re.findall(r"\{([^}]*)\}", expr):
        block = re.sub(r'"(?:\\.|[^"\\])*"', '""', block)
        names |= set(re.findall(rf"({IDENT})\s*(?:=~|!~|!=|=)", block))
    for clause in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr):
        names |= {n.strip() for n in clause.split(",") if n.strip()}
    return names


def metrics_in(expr):
    expr = strip_grafana(expr)
    expr = re.sub(r'"(?:\\.|[^"\\])*"' + r"|'(?:\\.|[^'\\])*'", '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for m in re.finditer(rf"(?<![\w.]){IDENT}", expr):
        word, rest = m.group(0), expr[m.end():]
        if re.match(r"\s*\(", rest) or word in KEYWORDS or re.fullmatch(r"[eE]\d*", word):
            continue
        names.add(word)
    return names


def source_strings(repo):
    text = []
    for path in (repo / "services").rglob("*"):
        if path.suffix in (".cc", ".h") and not re.search(r"_i?test\.cc$", path.name):
            text.append(path.read_text(errors="replace"))
    return "\n".join(text)


def exported(name, source):
    candidates = [name] + [name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s)]
    return any(f'"{c}"' in source for c in candidates)


def load_pending(path):
    pending = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].split()
            if line:
                pending[line[0]] = set(line[1:])
    return pending


def rule_exprs(repo, recorded):
    out = []
    for path in sorted((repo / "deploy/prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text()).get("groups", []):
            for rule in group.get("rules", []):
                if "record" in rule:
                    recorded.add(rule["record"])
                out.append((f"{path.name}: {rule.get('record') or rule.get('alert')}", rule["expr"]))
    return out


def dashboard_exprs(repo, errors):
    out, uids = [], {}
    for path in sorted((repo / "deploy/grafana/dashboards").glob("*.json")):
        try:
            board = json.loads(path.read_text())
        except ValueError as e:
            errors.append(f"{path.name}: not JSON: {e}")
            continue
        uid = board.get("uid")
        if not uid or uid in uids:
            errors.append(f"{path.name}: uid {uid!r} missing or also used by {uids.get(uid)}")
        uids[uid] = path.name
        names = {v["name"] for v in board.get("templating", {}).get("list", [])}
        if "datasource" not in names:
            errors.append(f"{path.name}: no datasource variable")
        for var in board.get("templating", {}).get("list", []):
            q = var.get("query")
            if var.get("type") == "query":
                q = q.get("query") if isinstance(q, dict) else q
                m = re.match(r"label_values\((.*),\s*(\w+)\)\s*$", q or "")
                if not m:
                    errors.append(f"{path.name}: variable {var['name']}: unsupported query {q!r}")
                    continue
                # The label whose values are listed must exist like any other.
                out.append((f"{path.name}: variable {var['name']}",
                            f"{m.group(1)} and on ({m.group(2)}) vector(1)"))
        for panel in board.get("panels", []):
            if panel.get("type") == "row":
                continue
            if panel.get("datasource", {}).get("uid") != "${datasource}":
                errors.append(f"{path.name}: panel {panel.get('title')!r} does not use $datasource")
            if not panel.get("targets"):
                errors.append(f"{path.name}: panel {panel.get('title')!r} has no query")
            for t in panel.get("targets", []):
                out.append((f"{path.name}: {panel.get('title')}", t.get("expr", "")))
    if not uids:
        errors.append("no dashboards found")
    return out


def live_families(pages):
    """Metric family names in Prometheus text pages (# TYPE lines)."""
    names = set()
    for page in pages:
        for line in pathlib.Path(page).read_text().splitlines():
            if line.startswith("# TYPE "):
                names.add(line.split()[2])
    return names


def check_live(repo, pages):
    """Every metric the rules and dashboards query is exposed by a running
    service (after the partner day has exercised all four)."""
    families = live_families(pages)
    errors, recorded = [], set()
    exprs = rule_exprs(repo, recorded) + dashboard_exprs(repo, errors)
    missing = {}
    for where, expr in exprs:
        for name in metrics_in(expr):
            base = next((name[: -len(x)] for x in HISTOGRAM_SUFFIXES if name.endswith(x)), name)
            if ":" in name or name in PROMETHEUS_SERIES or name in families or base in families:
                continue
            missing.setdefault(name, where)
    source = source_strings(repo)
    # A labelled family shows no series until its first event (prometheus-cpp
    # prints nothing for it); one the source registers is only noted.
    unseen = {n: w for n, w in missing.items() if exported(n, source)}
    for name, where in sorted(missing.items()):
        kind = "no series yet (registered in the source)" if name in unseen else "NOT EXPORTED"
        print(f"check_metric_names: live: {where}: {name}: {kind}")
    print(f"check_metric_names: live: {len(families)} families scraped, "
          f"{len(missing) - len(unseen)} queried names not exported, {len(unseen)} without series yet")
    for e in errors:
        print(f"check_metric_names: {e}")
    return 1 if len(missing) > len(unseen) or errors else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "--live":
        return check_live(pathlib.Path(argv[0]), argv[2:])
    if len(argv) != 1:
        print(__doc__)
        return 2
    repo = pathlib.Path(argv[0])
    source = source_strings(repo)
    pending = load_pending(repo / "tests/deploy/pending_metrics.txt")
    strict = os.environ.get("IOP_DEPLOY_STRICT_METRICS") == "1"
    errors, recorded = [], set()
    exprs = rule_exprs(repo, recorded) + dashboard_exprs(repo, errors)
    used, pending_used, ok = {}, set(), set()
    for where, expr in exprs:
        metrics = metrics_in(expr)
        if not metrics and "label_values" not in where and not re.search(r"\d", expr):
            errors.append(f"{where}: no metric found in {expr!r}")
        for name in metrics:
            used.setdefault(name, where)
        allowed_labels = TARGET_LABELS | {lab for n in metrics for lab in pending.get(n, ())}
        for label in labels_in(expr) - allowed_labels:
            if f'"{label}"' not in source:
                errors.append(f"{where}: label {label!r} is not exported by any service")
    for name, where in sorted(used.items()):
        if ":" in name:
            if name not in recorded:
                errors.append(f"{where}: recording rule {name} is not defined")
        elif name in PROMETHEUS_SERIES or exported(name, source):
            ok.add(name)
            if name in pending:
                print(f"check_metric_names: note: {name} is exported now; remove it from pending_metrics.txt")
        elif name in pending:
            pending_used.add(name)
        else:
            errors.append(f"{where}: metric {name} is not exported by any service")
    print(f"check_metric_names: {len(ok)} metrics exported, {len(recorded)} recording rules, "
          f"{len(pending_used)} pending")
    for name in sorted(pending_used):
        line = f"{name} is queried but not exported yet (pending_metrics.txt)"
        if strict:
            errors.append(line)
        else:
            print(f"check_metric_names: pending: {line}")
    for e in errors:
        print(f"check_metric_names: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
