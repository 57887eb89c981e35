#!/bin/sh
# Starts the service named by the first argument or by IOP_SERVICE; `iopctl`
# as the first argument runs the CLI instead.
set -eu

service=${IOP_SERVICE:-}
case "${1:-}" in
  scheduling | attendance | curriculum | outcomes)
    service=$1
    shift
    ;;
  iopctl)
    shift
    exec /usr/local/bin/iopctl "$@"
    ;;
esac

case "$service" in
  scheduling | attendance | curriculum | outcomes)
    exec "/usr/local/bin/iop-$service" "$@"
    ;;
  *)
    echo "iop-entrypoint: IOP_SERVICE must be scheduling, attendance, curriculum or outcomes (got \"$service\")" >&2
    exit 64
    ;;
esac
