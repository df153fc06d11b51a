#!/bin/sh
# Builds the same plugin.js with componentize-qjs (QuickJS) instead: a 1 MB component in a few
# seconds, against the same wit/ folder. pocket-wit builds nothing here.
#
#   sh examples/interop/js-greeter/build-qjs.sh [OUT_DIR]     (default: examples/interop/js-greeter/dist)
#
# docs/INTEROP.md#recipes shows this file; test/interop.test.ts runs it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="${1:-$HERE/dist}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
cd "$HERE"
BIN=../../../node_modules/.bin   # componentize-qjs, installed with the repository's `npm install`
POCKET_WIT="${POCKET_WIT:-node ../../../dist/pocket-wit.mjs}"  # this repository's CLI (npm run build); elsewhere: npx pocket-wit

# 1. The pocket:plugin WIT package, where wit/world.wit includes it from: wit/deps/pocket-plugin/
$POCKET_WIT wit --out wit --dep

# 2. JS → component. componentize-qjs is a native tool: it reads the WIT path itself (no
#    preload). --sync: plain synchronous exports (no component-model async ABI). Without
#    --stub-wasi the QuickJS runtime keeps its own WASI imports (stdio, clocks, random,
#    filesystem): the Pocket sandbox provides them, granting only what the metadata asks for.
$BIN/componentize-qjs --wit wit --js plugin.js --sync --opt-size -o "$OUT/interop-greeter-qjs.wasm"
echo "built $OUT/interop-greeter-qjs.wasm"
