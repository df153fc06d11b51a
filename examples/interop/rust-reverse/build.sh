#!/bin/sh
# Builds interop-reverse (reverse.rs) into a Pocket plugin component with upstream tools only:
# rustc for wasm32-unknown-unknown makes a core module (no cargo, no crates, no WASI), `jco embed`
# adds the WIT world, `jco new` makes the component (no adapter: the module imports no WASI).
# pocket-wit builds nothing here.
#
#   sh examples/interop/rust-reverse/build.sh [OUT_DIR]     (default: examples/interop/rust-reverse/dist)
#
# RUSTC picks the compiler (default: Debian's /usr/bin/rustc 1.63, which has the wasm32 targets;
# rustup's may lack them: `rustup target add wasm32-unknown-unknown`).
# docs/INTEROP.md#recipes shows this file; test/interop.test.ts runs it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="${1:-$HERE/dist}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
cd "$HERE"
BIN=../../../node_modules/.bin   # jco, installed with the repository's `npm install`
POCKET_WIT="${POCKET_WIT:-node ../../../dist/pocket-wit.mjs}"  # this repository's CLI (npm run build); elsewhere: npx pocket-wit
RUSTC="${RUSTC:-/usr/bin/rustc}"

# 1. The pocket:plugin WIT package, where wit/world.wit includes it from: wit/deps/pocket-plugin/
$POCKET_WIT wit --out wit --dep

# 2. Rust → a core module: a cdylib for wasm32-unknown-unknown, without debug info.
"$RUSTC" --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown -O -C strip=debuginfo \
  -o "$OUT/reverse.core.wasm" reverse.rs

# 3. Embed the world (the component-type custom section). wit/ holds one package with one
#    world, so no --world-name is needed. The preload works around preview2-shim 0.26.1, which
#    preopens nothing for jco's own tools (see ../preopen-cwd.mjs).
node --import=../preopen-cwd.mjs $BIN/jco embed "$OUT/reverse.core.wasm" --wit wit -o "$OUT/reverse.embedded.wasm"

# 4. The component.
$BIN/jco new "$OUT/reverse.embedded.wasm" -o "$OUT/interop-reverse.wasm"
echo "built $OUT/interop-reverse.wasm"
