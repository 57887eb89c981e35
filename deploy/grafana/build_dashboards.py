#!/usr/bin/env python3
"""Writes the Grafana dashboards of the IOP services into dashboards/*.json.

The JSON files are what Grafana loads (see provisioning/); this script is
their source, so that every board shares the same variables, units and
query conventions. Edit here, run it, and commit both:

    python3 deploy/grafana/build_dashboards.py           # rewrite the files
    python3 deploy/grafana/build_dashboards.py --check   # exit 1 if out of date
"""
import json
import pathlib
import sys

OUT = pathlib.Path(__file__).resolve().parent / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
# Calls that are not product traffic: kubelet probes and tooling.
NOT_TOOLING = 'grpc_service!~"grpc[.]health[.]v1[.]Health|grpc[.]reflection[.].+"'
RATE = "$__rate_interval"


class Board:
    """Lays panels out left to right in rows of 24 grid units."""

    def __init__(self, uid, title, description, variables, time_from="now-6h"):
        self.uid, self.title, self.description = uid, title, description
        self.variables, self.time_from = variables, time_from
        self.panels, self.x, self.y, self.row_h = [], 0, 0, 0

    def row(self, title):
        self._newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False, "panels": [],
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}})
        self.y += 1

    def _newline(self):
        if self.x:
            self.y += self.row_h
            self.x, self.row_h = 0, 0

    def add(self, panel, w=12, h=8):
        if self.x + w > 24:
            self._newline()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_h = max(self.row_h, h)
        self.panels.append(panel)

    def json(self):
        for i, p in enumerate(self.panels, start=1):
            p["id"] = i
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["iop"],
            "timezone": "browser",
            "editable": True,
            "graphTooltip": 1,
            "refresh": "30s",
            "schemaVersion": 39,
            "version": 1,
            "time": {"from": self.time_from, "to": "now"},
            "links": [{"type": "dashboards", "tags": ["iop"], "asDropdown": True,
                       "title": "IOP dashboards", "includeVars": True, "keepTime": True}],
            "templating": {"list": [datasource_var()] + self.variables},
            "annotations": {"list": []},
            "panels": self.panels,
        }


def datasource_var():
    return {"name": "datasource", "label": "Prometheus", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0}


def query_var(name, label, query, all_value=".*"):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": f"{name}-values"}, "definition": query,
            "refresh": 2, "multi": True, "includeAll": True, "allValue": all_value,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "sort": 1, "hide": 0}


JOB_VAR = query_var("job", "Service", "label_values(process_start_time_seconds{job=~\"iop-.+\"}, job)")


def target(expr, legend="", ref="A", instant=False):
    t = {"refId": ref, "datasource": DS, "expr": expr, "legendFormat": legend or "__auto"}
    if instant:
        t.update({"instant": True, "range": False, "format": "time_series"})
    return t


def timeseries(title, targets, unit="short", description="", stack=False, min_zero=True):
    defaults = {"unit": unit, "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                                         "showPoints": "never", "spanNulls": False,
                                         "stacking": {"mode": "normal" if stack else "none"}}}
    if min_zero:
        defaults["min"] = 0
    return {"type": "timeseries", "title": title, "description": description, "datasource": DS,
            "targets": _refs(targets), "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "bottom",
                                   "calcs": ["mean", "max", "lastNotNull"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def stat(title, targets, unit="short", description="", thresholds=None, decimals=None):
    steps = thresholds or [{"color": "green", "value": None}]
    defaults = {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {"type": "stat", "title": title, "description": description, "datasource": DS,
            "targets": _refs(targets), "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto",
                        "justifyMode": "auto", "orientation": "auto"}}


def bars(title, targets, unit="short", description=""):
    return {"type": "bargauge", "title": title, "description": description, "datasource": DS,
            "targets": _refs(targets),
            "fieldConfig": {"defaults": {"unit": unit, "min": 0, "decimals": 0,
                                         "thresholds": {"mode": "absolute",
                                                        "steps": [{"color": "blue", "value": None}]}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True}}


def _refs(targets):
    for i, t in enumerate(targets):
        t["refId"] = chr(ord("A") + i)
    return targets


RED_THRESHOLDS = [{"color": "green", "value": None}, {"color": "red", "value": 0.001}]


def red_board():
    sel = f'job=~"$job",grpc_service=~"$service",grpc_method=~"$method",{NOT_TOOLING}'
    b = Board("iop-red", "IOP / gRPC requests, errors, latency",
              "Rate, errors and duration of every gRPC method of the IOP services.",
              [JOB_VAR,
               query_var("service", "gRPC service",
                         'label_values(grpc_server_handled_total{job=~"$job"}, grpc_service)'),
               query_var("method", "Method",
                         'label_values(grpc_server_handled_total{job=~"$job",grpc_service=~"$service"}, grpc_method)')])
    b.row("Service level")
    b.add(stat("Availability over the range", [target(
        f'1 - sum(increase(grpc_server_handled_total{{{sel},grpc_code=~"Unknown|Internal|Unavailable|DataLoss|DeadlineExceeded"}}[$__range]))'
        f' / sum(increase(grpc_server_handled_total{{{sel}}}[$__range]))')],
        unit="percentunit", decimals=3,
        description="Share of calls without a server fault. SLO: 99.9%.",
        thresholds=[{"color": "red", "value": None}, {"color": "orange", "value": 0.995},
                    {"color": "green", "value": 0.999}]), w=6, h=5)
    b.add(stat("Requests per second", [target(f"sum(rate(grpc_server_handled_total{{{sel}}}[{RATE}]))")],
               unit="reqps"), w=6, h=5)
    b.add(stat("Server-fault ratio (5m)",
               [target('max(job:iop_grpc_server_errors:ratio_rate5m{job=~"$job"})')],
               unit="percentunit", thresholds=RED_THRESHOLDS,
               description="Worst service; recorded by deploy/prometheus/rules."), w=6, h=5)
    b.add(stat("Calls slower than 250 ms (5m)",
               [target('max(job:iop_grpc_slow:ratio_rate5m{job=~"$job"})')],
               unit="percentunit",
               thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 0.01}],
               description="Worst service. SLO: at most 1% of unary calls."), w=6, h=5)
    b.row("Rate")
    b.add(timeseries("Requests per second by service",
                     [target(f"sum by (job) (rate(grpc_server_handled_total{{{sel}}}[{RATE}]))", "{{job}}")],
                     unit="reqps"))
    b.add(timeseries("Requests per second by method",
                     [target(f"sum by (grpc_service, grpc_method) (rate(grpc_server_handled_total{{{sel}}}[{RATE}]))",
                             "{{grpc_method}}")], unit="reqps"))
    b.add(timeseries("Calls in flight",
                     [target(f"sum by (job) (grpc_server_started_total{{{sel}}}) - sum by (job) (grpc_server_handled_total{{{sel}}})",
                             "{{job}}")],
                     description="Started minus finished calls."))
    b.add(timeseries("Stream messages per second", [
        target(f"sum by (job) (rate(grpc_server_msg_received_total{{{sel}}}[{RATE}]))", "{{job}} received"),
        target(f"sum by (job) (rate(grpc_server_msg_sent_total{{{sel}}}[{RATE}]))", "{{job}} sent")],
        unit="ops"))
    b.row("Errors")
    b.add(timeseries("Failed calls per second by code",
                     [target(f'sum by (grpc_code) (rate(grpc_server_handled_total{{{sel},grpc_code!="OK"}}[{RATE}]))',
                             "{{grpc_code}}")], unit="reqps", stack=True))
    b.add(timeseries("Failed calls per second by method and code",
                     [target(f'sum by (grpc_method, grpc_code) (rate(grpc_server_handled_total{{{sel},grpc_code!="OK"}}[{RATE}]))',
                             "{{grpc_method}} {{grpc_code}}")], unit="reqps"))
    b.add(timeseries("Server-fault ratio by service", [
        target('job:iop_grpc_server_errors:ratio_rate5m{job=~"$job"}', "{{job}} 5m"),
        target('job:iop_grpc_server_errors:ratio_rate1h{job=~"$job"}', "{{job}} 1h")],
        unit="percentunit",
        description="Unknown, Internal, Unavailable, DataLoss and DeadlineExceeded over all calls."), w=24)
    b.row("Duration (unary calls)")
    usel = f'{sel},grpc_type="unary"'
    b.add(timeseries("Latency percentiles", [
        target(f"histogram_quantile({q}, sum by (le) (rate(grpc_server_handling_seconds_bucket{{{usel}}}[{RATE}])))",
               f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)], unit="s"))
    b.add(timeseries("p99 latency by method",
                     [target(f"histogram_quantile(0.99, sum by (grpc_method, le) (rate(grpc_server_handling_seconds_bucket{{{usel}}}[{RATE}])))",
                             "{{grpc_method}}")], unit="s"))
    b.add(timeseries("p95 latency by method",
                     [target(f"histogram_quantile(0.95, sum by (grpc_method, le) (rate(grpc_server_handling_seconds_bucket{{{usel}}}[{RATE}])))",
                             "{{grpc_method}}")], unit="s"))
    b.add(timeseries("p50 latency by method",
                     [target(f"histogram_quantile(0.5, sum by (grpc_method, le) (rate(grpc_server_handling_seconds_bucket{{{usel}}}[{RATE}])))",
                             "{{grpc_method}}")], unit="s"))
    return b


def cache_board():
    sel = 'job=~"$job"'
    b = Board("iop-cache", "IOP / Redis cache",
              "Cache-aside reads through Redis. While Redis is away the services answer from "
              "PostgreSQL (fail open): hit ratio drops, database load rises, callers see no errors.",
              [JOB_VAR])
    # Reads answered by the cache: from Redis, or from a replica's own copy
    # (near hits; not every service has them, hence the fallbacks to zero).
    hits = f"sum(rate(iop_cache_hits_total{{{sel}}}[{RATE}]))"
    near = f"(sum(rate(iop_cache_near_hits_total{{{sel}}}[{RATE}])) or vector(0))"
    misses = f"sum(rate(iop_cache_misses_total{{{sel}}}[{RATE}]))"
    b.add(stat("Hit ratio", [target(f"({hits} + {near}) / ({hits} + {near} + {misses})")],
               unit="percentunit"), w=8, h=5)
    b.add(stat("Replicas serving without Redis", [target(f"count(iop_cache_up{{{sel}}} == 0) or vector(0)")],
               thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), w=8, h=5)
    b.add(stat("Redis errors per second", [target(f"sum(rate(iop_cache_errors_total{{{sel}}}[{RATE}]))")],
               unit="ops", thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.1}]),
          w=8, h=5)
    hits_by = f"sum by (cache) (rate(iop_cache_hits_total{{{sel}}}[{RATE}]))"
    near_by = f"(sum by (cache) (rate(iop_cache_near_hits_total{{{sel}}}[{RATE}])) or {hits_by} * 0)"
    misses_by = f"sum by (cache) (rate(iop_cache_misses_total{{{sel}}}[{RATE}]))"
    b.add(timeseries("Hit ratio by cache", [target(
        f"({hits_by} + {near_by}) / ({hits_by} + {near_by} + {misses_by})", "{{cache}}")],
        unit="percentunit"))
    b.add(timeseries("Hits and misses per second by cache", [
        target(hits_by, "{{cache}} hit (Redis)"),
        target(f"sum by (cache) (rate(iop_cache_near_hits_total{{{sel}}}[{RATE}]))", "{{cache}} hit (near copy)"),
        target(misses_by, "{{cache}} miss")],
        unit="ops"))
    b.add(timeseries("Redis errors per second by operation",
                     [target(f"sum by (job, op) (rate(iop_cache_errors_total{{{sel}}}[{RATE}]))", "{{job}} {{op}}")],
                     unit="ops"))
    b.add(timeseries("Redis in use (1) or circuit open (0)",
                     [target(f"iop_cache_up{{{sel}}}", "{{job}} {{instance}}")]))
    b.add(timeseries("Near copy in use: invalidations heard (1) or not (0)",
                     [target(f"iop_cache_near_up{{{sel}}}", "{{job}} {{instance}}")]))
    b.add(timeseries("p99 Redis operation time",
                     [target(f"histogram_quantile(0.99, sum by (op, le) (rate(iop_cache_operation_seconds_bucket{{{sel}}}[{RATE}])))",
                             "{{op}}")], unit="s"), w=24)
    return b


def database_board():
    sel = 'job=~"$job"'
    b = Board("iop-database", "IOP / PostgreSQL",
              "Transactions, connection pools and database errors of each service; audit writes.",
              [JOB_VAR])
    b.add(stat("Audit records not written", [target(
        f"sum(increase(iop_audit_write_failures_total{{{sel}}}[$__range]))")],
        decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
        description="Calls on client data whose audit record failed. Must stay 0."), w=8, h=5)
    b.add(stat("Database unavailable errors", [target(
        f'sum(increase(iop_db_errors_total{{{sel},kind="unavailable"}}[$__range]))')],
        decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), w=8, h=5)
    b.add(stat("Pool connections in use", [target(
        f'sum(iop_db_pool_connections{{{sel},state="in_use"}}) / sum(iop_db_pool_size{{{sel}}})')],
        unit="percentunit",
        thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.7},
                    {"color": "red", "value": 0.9}]), w=8, h=5)
    for q in (0.5, 0.95, 0.99):
        b.add(timeseries(f"p{int(q * 100)} transaction time by operation",
                         [target(f"histogram_quantile({q}, sum by (op, le) (rate(iop_db_query_duration_seconds_bucket{{{sel}}}[{RATE}])))",
                                 "{{op}}")], unit="s"), w=8)
    b.add(timeseries("Transactions per second by operation",
                     [target(f"sum by (op) (rate(iop_db_query_duration_seconds_count{{{sel}}}[{RATE}]))", "{{op}}")],
                     unit="ops"))
    b.add(timeseries("Database errors per second by kind",
                     [target(f"sum by (job, kind) (rate(iop_db_errors_total{{{sel}}}[{RATE}]))", "{{job}} {{kind}}")],
                     unit="ops"))
    b.add(timeseries("Pool connections by state", [
        target(f"sum by (job, state) (iop_db_pool_connections{{{sel}}})", "{{job}} {{state}}"),
        target(f"sum by (job) (iop_db_pool_size{{{sel}}})", "{{job}} size")]))
    b.add(timeseries("p95 wait for a pooled connection",
                     [target(f"histogram_quantile(0.95, sum by (job, le) (rate(iop_db_pool_wait_seconds_bucket{{{sel}}}[{RATE}])))",
                             "{{job}}")], unit="s"))
    b.add(timeseries("Check-ins per batch (attendance)", [
        target(f"sum(rate(iop_attendance_checkin_batch_size_sum{{{sel}}}[{RATE}]))"
               f" / sum(rate(iop_attendance_checkin_batch_size_count{{{sel}}}[{RATE}]))", "mean"),
        target(f"histogram_quantile(0.95, sum by (le) (rate(iop_attendance_checkin_batch_size_bucket{{{sel}}}[{RATE}])))",
               "p95", ref="B")],
        description="First check-ins written together by one statement. Above 1 when check-ins arrive "
                    "faster than one commit each; nothing to tune."))
    return b


def process_board():
    sel = 'job=~"$job"'
    b = Board("iop-process", "IOP / Processes",
              "Memory, CPU, threads and file descriptors of each service replica.", [JOB_VAR])
    b.add(timeseries("Resident memory", [target(f"process_resident_memory_bytes{{{sel}}}", "{{job}} {{instance}}")],
                     unit="bytes"))
    b.add(timeseries("CPU (cores)", [target(f"rate(process_cpu_seconds_total{{{sel}}}[{RATE}])", "{{job}} {{instance}}")],
                     unit="short"))
    b.add(timeseries("Virtual memory", [target(f"process_virtual_memory_bytes{{{sel}}}", "{{job}} {{instance}}")],
                     unit="bytes"), w=8)
    b.add(timeseries("Threads", [target(f"process_threads{{{sel}}}", "{{job}} {{instance}}")]), w=8)
    b.add(timeseries("File descriptors in use", [
        target(f"process_open_fds{{{sel}}} / process_max_fds{{{sel}}}", "{{job}} {{instance}}")],
        unit="percentunit"), w=8)
    b.add(timeseries("Uptime", [target(f"time() - process_start_time_seconds{{{sel}}}", "{{job}} {{instance}}")],
                     unit="s", description="Drops to zero show restarts."), w=24)
    return b


def clinical_board():
    b = Board("iop-clinical", "IOP / Clinical operations",
              "Attendance, enrollments, assessments and risk alerts across the network. Counts cover "
              "the selected range (default: today).", [], time_from="now/d")
    b.add(stat("Check-ins", [target("sum(increase(iop_attendance_checkins_total[$__range]))", instant=True)],
               decimals=0), w=6, h=6)
    b.add(stat("Open risk alerts", [target("max(iop_outcomes_open_risk_alerts)")], decimals=0,
               description="Risk alerts (e.g. PHQ-9 item 9 above 0) waiting for a clinician's acknowledgement. "
                           "Each replica counts all orgs; the highest count is shown.",
               thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), w=6, h=6)
    b.add(stat("Assessments submitted", [target("sum(increase(iop_outcomes_assessments_total[$__range]))",
                                                 instant=True)], decimals=0), w=6, h=6)
    b.add(stat("Schedule conflicts rejected", [target(
        "sum(increase(iop_scheduling_conflicts_rejected_total[$__range]))", instant=True)], decimals=0), w=6, h=6)
    b.add(bars("Attendance records by status", [target(
        "sum by (status) (increase(iop_attendance_records_total[$__range]))", "{{status}}", instant=True)]), w=8)
    b.add(bars("Assessments by instrument", [target(
        "sum by (instrument) (increase(iop_outcomes_assessments_total[$__range]))", "{{instrument}}", instant=True)]),
        w=8)
    b.add(bars("Enrollment changes by status", [target(
        "sum by (status) (increase(iop_scheduling_enrollments_total[$__range]))", "{{status}}", instant=True)]), w=8)
    b.add(timeseries("Check-ins per hour", [target("sum(increase(iop_attendance_checkins_total[1h]))", "check-ins")]))
    b.add(timeseries("Open risk alerts", [target("max(iop_outcomes_open_risk_alerts)", "open")]))
    b.add(timeseries("Schedule conflicts rejected per hour by kind", [target(
        "sum by (kind) (increase(iop_scheduling_conflicts_rejected_total[1h]))", "{{kind}}")]))
    b.add(timeseries("Sessions created, cancelled and rescheduled per hour", [target(
        "sum by (change) (increase(iop_scheduling_sessions_changed_total[1h]))", "{{change}}")]))
    b.add(stat("Groups created", [target("sum(increase(iop_scheduling_groups_created_total[$__range]))",
                                         instant=True)], decimals=0), w=12, h=6)
    b.add(stat("Live attendance views", [target("sum(iop_attendance_active_watchers)")], decimals=0,
               description="Open WatchSessionAttendance streams (e.g. front-desk screens)."), w=12, h=6)
    return b


BOARDS = {"iop-red.json": red_board, "iop-cache.json": cache_board, "iop-database.json": database_board,
          "iop-process.json": process_board, "iop-clinical.json": clinical_board}


def render(build):
    return json.dumps(build().json(), indent=2, sort_keys=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    OUT.mkdir(exist_ok=True)
    for name, build in BOARDS.items():
        path, text = OUT / name, render(build)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("dashboards out of date (run deploy/grafana/build_dashboards.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
