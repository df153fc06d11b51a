#!/bin/sh
# Builds interop-slugify (slugify.c) into a Pocket plugin component with upstream tools only:
# clang-14 + wasi-libc make a core module, `jco embed` adds the WIT world, `jco new` with the
# WASI preview1 reactor adapter makes the component. pocket-wit builds nothing here.
#
#   sh examples/interop/c-slugify/build.sh [OUT_DIR]     (default: examples/interop/c-slugify/dist)
#
# docs/INTEROP.md#recipes shows this file; test/interop.test.ts runs it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="${1:-$HERE/dist}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
cd "$HERE"
BIN=../../../node_modules/.bin   # jco, installed with the repository's `npm install`
POCKET_WIT="${POCKET_WIT:-node ../../../dist/pocket-wit.mjs}"  # this repository's CLI (npm run build); elsewhere: npx pocket-wit

# 1. The pocket:plugin WIT package, where wit/world.wit includes it from: wit/deps/pocket-plugin/
$POCKET_WIT wit --out wit --dep

# 2. C → a core module: wasm32-wasi, a reactor (a library, no main), linked with wasi-libc.
clang-14 --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wall \
  -fuse-ld=/usr/bin/wasm-ld-14 -o "$OUT/slugify.core.wasm" slugify.c

# 3. Embed the world (the component-type custom section). wit/ holds one package with one
#    world, so no --world-name is needed. The preload works around preview2-shim 0.26.1, which
#    preopens nothing for jco's own tools (see ../preopen-cwd.mjs).
node --import=../preopen-cwd.mjs $BIN/jco embed "$OUT/slugify.core.wasm" --wit wit -o "$OUT/slugify.embedded.wasm"

# 4. The component: getenv() made the module import wasi_snapshot_preview1, which the reactor
#    adapter turns into WASI 0.2 imports (wasi:cli/environment, ...).
$BIN/jco new "$OUT/slugify.embedded.wasm" --wasi-reactor -o "$OUT/interop-slugify.wasm"
echo "built $OUT/interop-slugify.wasm"
