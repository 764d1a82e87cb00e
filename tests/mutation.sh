#!/usr/bin/env bash
# Mutation testing of classicx's numerical modules with mutmut 3 (see tests/README.md).
#
#   bash tests/mutation.sh NAME MODULE_GLOB [MODULE_GLOB ...] -- TEST_PATH [TEST_PATH ...]
#   bash tests/mutation.sh cca classicx/subspace/cca.py -- tests/subspace
#
# mutmut reads its settings only from setup.cfg or pyproject.toml; to keep the project's own
# files untouched, the run happens in a scratch copy (default /tmp/classicx-mutation/NAME) whose
# setup.cfg gets a [mutmut] section appended. One worker (--max-children 1): the machine is shared.
# Results stay in the scratch copy: `cd /tmp/classicx-mutation/NAME && mutmut results`.
# MUTANTS=FILE (one mutant name a line, e.g. the survivors of an earlier run) re-runs only those.
set -euo pipefail
name=$1; shift
modules=(); tests=()
while [[ $# -gt 0 && $1 != "--" ]]; do modules+=("$1"); shift; done
shift
tests=("$@")
root=$(cd "$(dirname "$0")/.." && pwd)
work=${MUTATION_DIR:-/tmp/classicx-mutation}/$name
rm -rf "$work"; mkdir -p "$work"
cp -r "$root/classicx" "$root/tests" "$root/setup.cfg" "$root/pyproject.toml" "$work/"
find "$work" -name __pycache__ -prune -exec rm -rf {} +
{
    echo
    echo "[mutmut]"
    echo "source_paths = classicx/"
    echo "only_mutate ="; printf '    %s\n' "${modules[@]}"
    echo "pytest_add_cli_args_test_selection ="; printf '    %s\n' "${tests[@]}"
    echo "pytest_add_cli_args ="; printf '    %s\n' -p no:cacheprovider
} >> "$work/setup.cfg"
cd "$work"
unset PYTHONPATH
if [[ -n ${MUTANTS:-} ]]; then
    mapfile -t names < "$MUTANTS"
    mutmut run --max-children 1 "${names[@]}"
else
    mutmut run --max-children 1
fi
mutmut results --all true > results.txt || true
