# Sourced by tests/run and tests/shards, so that "this spec file runs no test
# in this stage" is decided in one place.
#
# runs_nothing FILE: every top-level describe of FILE carries a tag of
# EXCLUDE_TAGS (comma-separated, as busted takes it). tests/run does not even
# load such a #serial file (limiter_shared_dict_spec is all #nginx, and the
# 5.4 and 5.1 stages exclude #nginx: its group started busted and a sandbox
# to run 0 tests); tests/shards weighs it 1, whatever its time elsewhere.
runs_nothing() {
  local line tag hit n=0
  while IFS= read -r line; do
    n=$((n + 1))
    hit=
    for tag in ${EXCLUDE_TAGS//,/ }; do
      case "$line" in *"#$tag"[!a-zA-Z0-9_-]*) hit=1 ;; esac
    done
    [ -n "$hit" ] || return 1
  done < <(grep '^describe(' "$1" 2>/dev/null)
  [ "$n" -gt 0 ]
}
