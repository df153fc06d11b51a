#!/bin/sh
# The CI steps of docs/CI.md as a plain shell script (the tests run it):
#   1. build the plugin,
#   2. check it against the host version it targets (or against HOST_WIT),
#   3. when WIT_OLD and WIT_NEW are set, classify the WIT change and check its version bump.
# Exit 0 when every step passes; the first failing step's exit code otherwise.
#
#   PLUGIN_DIR=path/to/plugin [HOST_WIT=wit/v0.2.0] [WIT_OLD=old/wit WIT_NEW=wit] scripts/ci/check-plugin.sh
#
# POCKET_WIT is the command to run (default: `npx --no-install pocket-wit`); OUT_DIR is where
# the built component goes (default: a temporary folder).
set -eu

POCKET_WIT=${POCKET_WIT:-npx --no-install pocket-wit}
: "${PLUGIN_DIR:?set PLUGIN_DIR to the plugin project folder}"
OUT_DIR=${OUT_DIR:-$(mktemp -d)}
out="$OUT_DIR/plugin.wasm"

echo "::group::build $PLUGIN_DIR"
$POCKET_WIT build "$PLUGIN_DIR" -o "$out"
echo "::endgroup::"

echo "::group::check the plugin against the host"
if [ -n "${HOST_WIT:-}" ]; then
  $POCKET_WIT check "$out" --world "$HOST_WIT"
else
  $POCKET_WIT check "$out"
fi
echo "::endgroup::"

if [ -n "${WIT_OLD:-}" ] || [ -n "${WIT_NEW:-}" ]; then
  : "${WIT_OLD:?set WIT_OLD with WIT_NEW}"
  : "${WIT_NEW:?set WIT_NEW with WIT_OLD}"
  echo "::group::WIT change: $WIT_OLD -> $WIT_NEW"
  $POCKET_WIT check --old "$WIT_OLD" --new "$WIT_NEW"
  echo "::endgroup::"
fi
echo "all checks passed"
