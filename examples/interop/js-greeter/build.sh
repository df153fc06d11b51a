#!/bin/sh
# Builds interop-greeter (plugin.js) into a Pocket plugin component with componentize-js
# (StarlingMonkey) directly. pocket-wit builds nothing here.
#
#   sh examples/interop/js-greeter/build.sh [OUT_DIR]     (default: examples/interop/js-greeter/dist)
#
# docs/INTEROP.md#recipes shows this file; test/interop.test.ts runs it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="${1:-$HERE/dist}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
cd "$HERE"
BIN=../../../node_modules/.bin   # componentize-js, installed with the repository's `npm install`
POCKET_WIT="${POCKET_WIT:-node ../../../dist/pocket-wit.mjs}"  # this repository's CLI (npm run build); elsewhere: npx pocket-wit

# 1. The pocket:plugin WIT package, where wit/world.wit includes it from: wit/deps/pocket-plugin/
$POCKET_WIT wit --out wit --dep

# 2. JS → component. wit/ holds one package with one world (greeter: pocket:plugin/plugin plus
#    wasi:cli/environment), so no --world-name is needed. --disable leaves out the engine's own
#    WASI use (console, random, clocks, fetch): the component then imports only what the world
#    names. The preload works around preview2-shim 0.26.1, which preopens nothing for
#    componentize-js's own tools (see ../preopen-cwd.mjs). Takes 20–60 s.
node --import=../preopen-cwd.mjs $BIN/componentize-js plugin.js --wit wit \
  --disable stdio random clocks http fetch-event -o "$OUT/interop-greeter.wasm"
echo "built $OUT/interop-greeter.wasm"
