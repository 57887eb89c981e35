# The command line every local script takes (sourced, not run):
#   <script> COMMAND [--dir DIR] [--test] [-h|--help]
# The caller defines repo_root, die and usage first.

# cli_parse ALLOW_TEST ARGS...: sets `command`, `state_dir` (absolute;
# default <repo>/.run) and `test_mode` (1 with --test, which only callers
# passing ALLOW_TEST=1 accept).
cli_parse() {
  local allow_test=$1
  shift
  command=${1:-}
  if [ -z "$command" ]; then
    usage >&2
    exit 2
  fi
  shift
  state_dir=$repo_root/.run
  test_mode=0
  while [ $# -gt 0 ]; do
    case $1 in
      --dir)
        [ $# -ge 2 ] || die "--dir needs a folder"
        state_dir=$2
        shift 2
        ;;
      --dir=*)
        state_dir=${1#--dir=}
        shift
        ;;
      --test)
        [ "$allow_test" = 1 ] || die "unknown argument: $1 (see --help)"
        test_mode=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "unknown argument: $1 (see --help)" ;;
    esac
  done
  case $state_dir in
    /*) ;;
    *) state_dir=$PWD/$state_dir ;;
  esac
}
