#!/usr/bin/env python3
"""Policy checks on rendered Kubernetes manifests (output of `kustomize build`).

Usage: check_manifests.py --repo DIR OVERLAY=FILE [OVERLAY=FILE ...]
  OVERLAY is dev, prod or base; FILE the rendered multi-document YAML.

Prints one line per problem and exits 1 when there is any. Checks what the
services need to run safely: probes, security contexts, resources, drain
timing, secret wiring, scaling and disruption budgets, and that the
NetworkPolicies allow exactly the calls the services make (read from their
source) and nothing else between them.
"""
import ipaddress
import pathlib
import re
import sys

import yaml

SERVICES = {"scheduling": (50051, 9101), "attendance": (50052, 9102),
            "curriculum": (50053, 9103), "outcomes": (50054, 9104)}
# DESIGN.md §2 dependencies; calls found in the source are added to these.
KNOWN_CALLS = {("attendance", "scheduling"), ("curriculum", "scheduling"),
               ("curriculum", "attendance"), ("outcomes", "scheduling")}
# Secrets the prod overlay expects to exist in the cluster (created outside git).
EXTERNAL_SECRETS = {"iop-jwt", "iop-redis-connection"} | {
    f"iop-{s}-{kind}" for s in SERVICES for kind in ("database", "tls")}
PARTNER_NS = {"kubernetes.io/metadata.name": "partner-gateway", "iop-platform/grpc-access": "true"}
MONITORING_NS = {"kubernetes.io/metadata.name": "monitoring"}
OTHER_NS = {"kubernetes.io/metadata.name": "somewhere-else"}


class Problems(list):
    def add(self, overlay, text):
        self.append(f"{overlay}: {text}")


def calls_in_source(repo):
    """(caller, callee) pairs: a service whose non-test code reads <peer>_addr."""
    found = set()
    for svc in SERVICES:
        root = repo / "services" / svc
        if not root.is_dir():
            continue
        for path in list(root.rglob("*.cc")) + list(root.rglob("*.h")):
            if re.search(r"_i?test\.cc$", path.name):
                continue
            text = path.read_text(errors="replace")
            for peer in SERVICES:
                if peer != svc and re.search(rf"\b{peer}_addr\b", text):
                    found.add((svc, peer))
    return found


# ------------------------------------------------------------ selectors

def selects(selector, labels):
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Peer:
    """A pod (or an address outside the cluster) taking part in a connection."""

    def __init__(self, pod_labels=None, ns_labels=None, same_ns=True, ip=None):
        self.pod_labels, self.ns_labels = pod_labels or {}, ns_labels or {}
        self.same_ns, self.ip = same_ns, ip


def peer_matches(rule_peers, peer):
    if rule_peers is None or rule_peers == []:
        return True  # no from/to: everything
    for p in rule_peers:
        if "ipBlock" in p:
            if peer.ip is None:
                continue
            block = p["ipBlock"]
            ip = ipaddress.ip_address(peer.ip)
            if ip in ipaddress.ip_network(block["cidr"]) and not any(
                    ip in ipaddress.ip_network(c) for c in block.get("except", [])):
                return True
            continue
        if peer.ip is not None:
            continue
        ns_sel, pod_sel = p.get("namespaceSelector"), p.get("podSelector")
        ns_ok = selects(ns_sel, peer.ns_labels) if ns_sel is not None else peer.same_ns
        pod_ok = selects(pod_sel, peer.pod_labels) if pod_sel is not None else True
        if ns_ok and pod_ok:
            return True
    return False


def port_matches(rule_ports, port, protocol):
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p or p["port"] == port:
            return True
        if isinstance(p["port"], int) and p.get("endPort", p["port"]) >= port >= p["port"]:
            return True
    return False


class Network:
    def __init__(self, policies):
        self.policies = policies

    def _isolating(self, labels, kind):
        return [p for p in self.policies
                if selects(p["spec"]["podSelector"], labels) and kind in p["spec"].get("policyTypes", [])]

    def egress(self, src_labels, dst, port, protocol="TCP"):
        pols = self._isolating(src_labels, "Egress")
        if not pols:
            return True
        return any(peer_matches(r.get("to"), dst) and port_matches(r.get("ports"), port, protocol)
                   for p in pols for r in p["spec"].get("egress") or [])

    def ingress(self, dst_labels, src, port, protocol="TCP"):
        pols = self._isolating(dst_labels, "Ingress")
        if not pols:
            return True
        return any(peer_matches(r.get("from"), src) and port_matches(r.get("ports"), port, protocol)
                   for p in pols for r in p["spec"].get("ingress") or [])

    def connects(self, src_labels, dst_labels, port):
        return (self.egress(src_labels, Peer(dst_labels), port)
                and self.ingress(dst_labels, Peer(src_labels), port))


# ------------------------------------------------------------ checks

def env_map(container):
    return {e["name"]: e for e in container.get("env") or []}


def check_deployment(overlay, svc, dep, objs, config, problems):
    grpc_port, metrics_port = SERVICES[svc]
    name = f"iop-{svc}"
    pod = dep["spec"]["template"]["spec"]
    containers = pod["containers"]
    if len(containers) != 1:
        problems.add(overlay, f"{name}: expected one container, found {len(containers)}")
    c = containers[0]
    if c.get("command") != [f"/usr/local/bin/iop-{svc}"]:
        problems.add(overlay, f"{name}: command must be /usr/local/bin/iop-{svc}, is {c.get('command')}")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    if ports != {"grpc": grpc_port, "metrics": metrics_port}:
        problems.add(overlay, f"{name}: container ports {ports}, want grpc={grpc_port} metrics={metrics_port}")
    env = env_map(c)
    for var, port in (("IOP_GRPC_ADDR", grpc_port), ("IOP_METRICS_ADDR", metrics_port)):
        if not str(env.get(var, {}).get("value", "")).endswith(f":{port}"):
            problems.add(overlay, f"{name}: {var} must listen on port {port}")

    tls = "IOP_TLS_CERT_FILE" in env
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        p = c.get(probe)
        if not p:
            problems.add(overlay, f"{name}: no {probe}")
            continue
        if tls:
            # The kubelet's gRPC probe speaks plaintext only: under TLS it must
            # use the health-only plaintext listener (IOP_HEALTH_ADDR).
            health = str(env.get("IOP_HEALTH_ADDR", {}).get("value", ""))
            health_port = int(health.rsplit(":", 1)[1]) if ":" in health else None
            if health_port is None:
                problems.add(overlay, f"{name}: TLS without IOP_HEALTH_ADDR leaves probes blind to health")
            elif p.get("grpc", {}).get("port") != health_port:
                problems.add(overlay, f"{name}: {probe} must be a gRPC probe on the health port {health_port}")
        elif p.get("grpc", {}).get("port") != grpc_port:
            problems.add(overlay, f"{name}: {probe} must be a native gRPC probe on port {grpc_port}")
    if tls:
        for var in ("IOP_TLS_KEY_FILE", "IOP_TLS_CLIENT_CA_FILE"):
            if var not in env:
                problems.add(overlay, f"{name}: IOP_TLS_CERT_FILE set without {var}")
    if overlay == "prod" and not tls:
        problems.add(overlay, f"{name}: production must serve TLS (IOP_TLS_* unset)")

    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        problems.add(overlay, f"{name}: pod must set runAsNonRoot")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.add(overlay, f"{name}: pod seccompProfile must be RuntimeDefault")
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.add(overlay, f"{name}: allowPrivilegeEscalation must be false")
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.add(overlay, f"{name}: root filesystem must be read-only")
    if "ALL" not in (csc.get("capabilities", {}).get("drop") or []):
        problems.add(overlay, f"{name}: must drop ALL capabilities")
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []}
    if "emptyDir" not in volumes.get(mounts.get("/tmp"), {}):
        problems.add(overlay, f"{name}: /tmp must be an emptyDir (read-only root filesystem)")

    res = c.get("resources", {})
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if r not in res.get(kind, {}):
                problems.add(overlay, f"{name}: resources.{kind}.{r} missing")

    sa_name = pod.get("serviceAccountName")
    sa = objs.get(("ServiceAccount", sa_name))
    if pod.get("automountServiceAccountToken") is not False:
        problems.add(overlay, f"{name}: pod must not mount a service account token")
    if not sa or sa.get("automountServiceAccountToken") is not False:
        problems.add(overlay, f"{name}: ServiceAccount {sa_name} missing or mounts its token")

    drain = int(config.get("IOP_DRAIN_SECONDS", 20))
    if "IOP_DRAIN_SECONDS" in env:
        drain = int(env["IOP_DRAIN_SECONDS"]["value"])
    pre = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pre_sleep = int(pre[-1]) if len(pre) == 2 and pre[0].endswith("sleep") else None
    if pre_sleep is None:
        problems.add(overlay, f"{name}: preStop must sleep so endpoints are removed before the drain")
        pre_sleep = 0
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= drain + pre_sleep:
        problems.add(overlay, f"{name}: terminationGracePeriodSeconds {grace} <= preStop {pre_sleep} + drain {drain}")

    # Secrets: the JWT key comes from a file on a secret volume, the URLs
    # (which carry passwords) from secrets, never literal values.
    if "IOP_JWT_SECRET" in env:
        problems.add(overlay, f"{name}: IOP_JWT_SECRET must not be set inline; use IOP_JWT_SECRET_FILE")
    for var in ("IOP_JWT_SECRET_FILE",) + (("IOP_TLS_CERT_FILE", "IOP_TLS_KEY_FILE", "IOP_TLS_CLIENT_CA_FILE") if tls else ()):
        path = env.get(var, {}).get("value", "")
        vol = next((volumes.get(n) for m, n in mounts.items() if path.startswith(m.rstrip("/") + "/")), None)
        if not path or not vol or "secret" not in vol:
            problems.add(overlay, f"{name}: {var}={path!r} is not on a mounted secret volume")
    for var in ("IOP_DATABASE_URL", "IOP_REDIS_URL"):
        if "secretKeyRef" not in env.get(var, {}).get("valueFrom", {}):
            problems.add(overlay, f"{name}: {var} must come from a Secret")

    refs = [("ConfigMap", r["configMapRef"]["name"]) for r in c.get("envFrom") or [] if "configMapRef" in r]
    refs += [("Secret", e["valueFrom"]["secretKeyRef"]["name"]) for e in env.values()
             if "secretKeyRef" in e.get("valueFrom", {})]
    refs += [("Secret", v["secret"]["secretName"]) for v in volumes.values() if "secret" in v]
    refs += [("ConfigMap", v["configMap"]["name"]) for v in volumes.values() if "configMap" in v]
    for kind, ref in refs:
        if (kind, ref) in objs:
            continue
        if overlay == "dev" or kind == "ConfigMap" or ref not in EXTERNAL_SECRETS:
            problems.add(overlay, f"{name}: references {kind} {ref}, which is not defined")

    hpa = objs.get(("HorizontalPodAutoscaler", name))
    if hpa and "replicas" in dep["spec"]:
        problems.add(overlay, f"{name}: spec.replicas is set although an HPA owns the count")
    if not hpa or hpa.get("apiVersion") != "autoscaling/v2" or hpa["spec"]["scaleTargetRef"]["name"] != name:
        problems.add(overlay, f"{name}: no autoscaling/v2 HPA targeting it")
    elif not any(m.get("resource", {}).get("name") == "cpu" for m in hpa["spec"].get("metrics", [])):
        problems.add(overlay, f"{name}: HPA does not scale on CPU")
    min_replicas = hpa["spec"].get("minReplicas", 1) if hpa else dep["spec"].get("replicas", 1)
    if overlay == "prod":
        if min_replicas < 2:
            problems.add(overlay, f"{name}: production needs at least 2 replicas, HPA minimum is {min_replicas}")
        if not pod.get("topologySpreadConstraints"):
            problems.add(overlay, f"{name}: production replicas must be spread (topologySpreadConstraints)")
    if overlay == "dev" and min_replicas != 1:
        problems.add(overlay, f"{name}: dev runs one replica, HPA minimum is {min_replicas}")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    pdb = objs.get(("PodDisruptionBudget", name))
    if not pdb or not selects(pdb["spec"]["selector"], pod_labels):
        problems.add(overlay, f"{name}: no PodDisruptionBudget selecting its pods")
    elif pdb["spec"].get("minAvailable") not in (None, 0) and min_replicas <= 1:
        problems.add(overlay, f"{name}: PDB minAvailable with a single replica blocks node drains")

    service = objs.get(("Service", name))
    if not service or not selects({"matchLabels": service["spec"].get("selector", {})}, pod_labels):
        problems.add(overlay, f"{name}: no Service selecting its pods")
    else:
        sports = {p["name"]: p for p in service["spec"]["ports"]}
        for pname, port in (("grpc", grpc_port), ("metrics", metrics_port)):
            sp = sports.get(pname)
            if not sp or sp["port"] != port or not sp.get("appProtocol"):
                problems.add(overlay, f"{name}: Service port {pname} must be {port} with an appProtocol")


def check_network(overlay, deployments, objs, calls, problems):
    policies = [o for (k, _), o in objs.items() if k == "NetworkPolicy"]
    net = Network(policies)
    if not any(p["spec"]["podSelector"] == {} and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
               and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
        problems.add(overlay, "no default-deny NetworkPolicy (empty podSelector, Ingress and Egress)")
    labels = {svc: d["spec"]["template"]["metadata"]["labels"] for svc, d in deployments.items()}
    dns = Peer({"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"}, same_ns=False)
    for svc, lab in labels.items():
        grpc_port, metrics_port = SERVICES[svc]
        name = f"iop-{svc}"
        if not (net.egress(lab, dns, 53, "UDP") and net.egress(lab, dns, 53, "TCP")):
            problems.add(overlay, f"{name}: cannot reach cluster DNS")
        if not net.ingress(lab, Peer({}, PARTNER_NS, same_ns=False), grpc_port):
            problems.add(overlay, f"{name}: partner namespaces cannot reach its gRPC port")
        if net.ingress(lab, Peer({}, OTHER_NS, same_ns=False), grpc_port):
            problems.add(overlay, f"{name}: any namespace can reach its gRPC port")
        if not net.ingress(lab, Peer({}, MONITORING_NS, same_ns=False), metrics_port):
            problems.add(overlay, f"{name}: the monitoring namespace cannot scrape port {metrics_port}")
        if net.ingress(lab, Peer({}, OTHER_NS, same_ns=False), metrics_port):
            problems.add(overlay, f"{name}: any namespace can scrape port {metrics_port}")
        for peer, plab in labels.items():
            if peer == svc:
                continue
            allowed = net.connects(lab, plab, SERVICES[peer][0])
            if (svc, peer) in calls and not allowed:
                problems.add(overlay, f"{name} calls iop-{peer}, but the NetworkPolicies block it")
            if (svc, peer) not in calls and allowed:
                problems.add(overlay, f"{name} may reach iop-{peer}, which it never calls")
        for port, what in ((5432, "PostgreSQL"), (6379, "Redis")):
            store = next((o for (k, n), o in objs.items() if k in ("StatefulSet", "Deployment")
                          and port in [p["containerPort"] for c in o["spec"]["template"]["spec"]["containers"]
                                       for p in c.get("ports", [])]), None)
            if store:
                if not net.connects(lab, store["spec"]["template"]["metadata"]["labels"], port):
                    problems.add(overlay, f"{name} cannot reach the in-cluster {what}")
            elif not any(net.egress(lab, Peer(ip=ip), port) for ip in _external_candidates(policies, port)):
                problems.add(overlay, f"{name} cannot reach an external {what} on port {port}")
        if net.egress(lab, Peer(ip="203.0.113.7"), 443):
            problems.add(overlay, f"{name} may open connections to the internet")


def _external_candidates(policies, port):
    """One address inside each ipBlock that allows the port, plus a public one."""
    out = ["198.51.100.20"]
    for p in policies:
        for r in p["spec"].get("egress") or []:
            if port_matches(r.get("ports"), port, "TCP"):
                for peer in r.get("to") or []:
                    if "ipBlock" in peer:
                        out.append(str(next(ipaddress.ip_network(peer["ipBlock"]["cidr"]).hosts())))
    return out


def check_overlay(overlay, path, calls, problems):
    docs = [d for d in yaml.safe_load_all(pathlib.Path(path).read_text()) if d]
    objs = {}
    for d in docs:
        key = (d["kind"], d["metadata"]["name"])
        if key in objs:
            problems.add(overlay, f"{key[0]} {key[1]} defined twice")
        objs[key] = d
    config = next((o.get("data", {}) for (k, n), o in objs.items()
                   if k == "ConfigMap" and n.startswith("iop-config")), None)
    if config is None:
        problems.add(overlay, "no iop-config ConfigMap")
        config = {}
    deployments = {}
    for svc in SERVICES:
        dep = objs.get(("Deployment", f"iop-{svc}"))
        if not dep:
            problems.add(overlay, f"no Deployment iop-{svc}")
            continue
        deployments[svc] = dep
        check_deployment(overlay, svc, dep, objs, config, problems)
        addr = config.get(f"IOP_{svc.upper()}_ADDR", "")
        if addr != f"iop-{svc}:{SERVICES[svc][0]}":
            problems.add(overlay, f"iop-config IOP_{svc.upper()}_ADDR={addr!r}, want iop-{svc}:{SERVICES[svc][0]}")
    if overlay != "base":
        ns = [o for (k, _), o in objs.items() if k == "Namespace"]
        if len(ns) != 1:
            problems.add(overlay, "expected exactly one Namespace")
        else:
            nsname = ns[0]["metadata"]["name"]
            if ns[0]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
                problems.add(overlay, f"namespace {nsname} must enforce the restricted pod security profile")
            stray = [f"{k}/{n}" for (k, n), o in objs.items()
                     if k != "Namespace" and o["metadata"].get("namespace") != nsname]
            if stray:
                problems.add(overlay, f"objects outside namespace {nsname}: {', '.join(stray)}")
    check_network(overlay, deployments, objs, calls, problems)
    return len(docs)


def main(argv):
    repo, targets = None, []
    args = iter(argv)
    for a in args:
        if a == "--repo":
            repo = pathlib.Path(next(args))
        else:
            overlay, _, path = a.partition("=")
            targets.append((overlay, path))
    if repo is None or not targets:
        print(__doc__)
        return 2
    found = calls_in_source(repo)
    calls = KNOWN_CALLS | found
    problems = Problems()
    for overlay, path in targets:
        n = check_overlay(overlay, path, calls, problems)
        print(f"check_manifests: {overlay}: {n} objects")
    extra = sorted(found - KNOWN_CALLS)
    if extra:
        print("check_manifests: calls found in the source beyond DESIGN.md: "
              + ", ".join(f"{a}->{b}" for a, b in extra))
    for p in problems:
        print(f"check_manifests: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
