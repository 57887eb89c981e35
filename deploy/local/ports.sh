# Free-port picking shared by the local stack, the test suite and the
# benchmarks (sourced, not run).
#
# Ports come from below the kernel's ephemeral range: a port inside it can be
# held at any moment by some process's outgoing connection (a service's link to
# PostgreSQL, say), which a "does anything listen there" probe cannot see, and
# the later bind fails with "Address already in use".

# The first port of the kernel's ephemeral range (32768 when unreadable).
ports_ephemeral_low() {
  local low=32768
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range || low=32768
  fi
  echo "$low"
}

# Something accepts connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port [taken...]: a port nobody listens on and not among the given ones
# (ports this caller has handed out but whose owner has not bound them yet).
free_port() {
  local top low p t clash
  top=$(ports_ephemeral_low)
  low=$((top > 12000 ? top - 12000 : 1024))
  for _ in $(seq 1 200); do
    p=$((low + (RANDOM * 32768 + RANDOM) % (top - low)))
    clash=0
    for t in "$@"; do [ "$t" = "$p" ] && clash=1; done
    [ "$clash" -eq 0 ] || continue
    if ! port_in_use "$p"; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port below $top" >&2
  return 1
}
