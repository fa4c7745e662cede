#!/usr/bin/env bash
# Rebuilds contracts/out/*.bin and *.abi from the Solidity sources with a pinned
# solc from npm. The outputs are checked in, so building Go never needs npm;
# run this only after changing a .sol file, then commit the new artifacts.
set -euo pipefail

SOLC_VERSION=0.8.37
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm install --no-save --silent "solc@${SOLC_VERSION}" >/dev/null)

mkdir -p "$work/out" "$here/out"
for src in "$here"/*.sol; do
	name="$(basename "$src" .sol)"
	cp "$src" "$work/$name.sol"
	(cd "$work" && npx --no-install solcjs --optimize --optimize-runs 200 --bin --abi "$name.sol" -o out >/dev/null)
	# solcjs names outputs <file>_sol_<contract>; keep the contract named like its file.
	cp "$work/out/${name}_sol_${name}.bin" "$here/out/$name.bin"
	cp "$work/out/${name}_sol_${name}.abi" "$here/out/$name.abi"
done
echo "solc ${SOLC_VERSION} (solcjs --optimize --optimize-runs 200)" >"$here/out/SOLC_VERSION"
echo "wrote $(ls "$here/out" | tr '\n' ' ')"
