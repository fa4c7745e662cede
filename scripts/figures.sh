#!/usr/bin/env bash
# Print EPUSDT's standard figure table, measured on this machine.
#
# Builds epusdt, devchain and loadgen, starts devchain (1 s blocks, finality
# lag 2) and a gateway on SQLite in a temporary directory (Ethereum watching
# devchain's 6-decimal USDT on the finalized tag, 1 s poll interval, 10
# wallets, a fixed rate of 7 CNY per USDT), then measures from the outside:
#
#   create throughput at c=1, 8 and 32   loadgen create (orders/s, p50/p95/p99)
#   detection latency after settlement   loadgen settle (finalized tag covers the block → status 2)
#   callback delay                       loadgen settle (settled → callback received by a local merchant)
#   RPC calls per 1,000 blocks           loadgen rpc-cost (1,000 blocks mined at once, until the cursor caught up)
#   peak RSS of the gateway              VmHWM from /proc/<pid>/status after all of the above
#
# Usage: scripts/figures.sh            (needs go and curl; takes about a minute)
# Env:   FIGURES_N1, FIGURES_N8, FIGURES_N32 (orders per create run), FIGURES_SETTLE_N (payments timed)
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for FILE PATTERN SECONDS: wait until FILE contains PATTERN.
wait_for() {
	for _ in $(seq 1 $(($3 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "figures: timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

echo "building…" >&2
go build -o "$work/bin/" ./cmd/epusdt ./cmd/devchain ./cmd/loadgen

"$work/bin/devchain" --listen 127.0.0.1:0 --block-time 1s --finality-lag 2 >"$work/devchain.out" 2>"$work/devchain.log" &
pids+=($!)
wait_for "$work/devchain.out" rpc_url 60
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$work/devchain.out" | head -n1; }
rpc=$(json_field rpc_url)
usdt6=$(json_field usdt6)

token="figures-$(date +%s)-token"
export EPUSDT_RUNTIME_ROOT_PATH="$work/runtime" EPUSDT_HTTP_LISTEN=127.0.0.1:0 \
	EPUSDT_API_AUTH_TOKEN="$token" EPUSDT_ADMIN_INIT_PASSWORD="Figures-Admin-Pass-9x!" \
	EPUSDT_FORCED_USDT_RATE=7 EPUSDT_RATE_SOURCES= \
	EPUSDT_RATE_LIMIT_API=10000000/1m EPUSDT_RATE_LIMIT_STATUS=10000000/1m \
	EPUSDT_TRON_ENABLED=false EPUSDT_BSC_ENABLED=false EPUSDT_POLYGON_ENABLED=false \
	EPUSDT_ETH_ENABLED=true EPUSDT_ETH_RPC_URLS="$rpc" EPUSDT_ETH_USDT_CONTRACT="$usdt6" EPUSDT_ETH_USDT_DECIMALS=6 \
	EPUSDT_ETH_SETTLE=finalized EPUSDT_ETH_POLL_INTERVAL=1s EPUSDT_DEFAULT_TRADE_TYPE=usdt.erc20
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$work/bin/epusdt" wallet add --chain ethereum "0x00000000000000000000000000000000000000a$i" >/dev/null
done

"$work/bin/epusdt" http start >"$work/gateway.out" 2>&1 &
gw_pid=$!
pids+=("$gw_pid")
wait_for "$work/gateway.out" "listening on" 60
addr=$(sed -n 's/.* listening on \([^ ]*\) .*/\1/p' "$work/gateway.out" | head -n1)
url="http://$addr"
for _ in $(seq 1 100); do curl -fsS "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

lg() { "$work/bin/loadgen" "$@"; }
rows=()
echo "creating orders…" >&2
lg create -url "$url" -token "$token" -trade-type usdt.erc20 -c 32 -n 500 >/dev/null # warm-up
rows+=("$(lg create -url "$url" -token "$token" -trade-type usdt.erc20 -c 1 -n "${FIGURES_N1:-500}" -row 'create throughput, c=1')")
rows+=("$(lg create -url "$url" -token "$token" -trade-type usdt.erc20 -c 8 -n "${FIGURES_N8:-3000}" -row 'create throughput, c=8')")
rows+=("$(lg create -url "$url" -token "$token" -trade-type usdt.erc20 -c 32 -n "${FIGURES_N32:-5000}" -row 'create throughput, c=32')")
echo "paying orders on devchain…" >&2
while IFS= read -r line; do rows+=("$line"); done < <(lg settle -url "$url" -token "$token" -rpc "$rpc" \
	-trade-type usdt.erc20 -token-name usdt6 -n "${FIGURES_SETTLE_N:-30}" -row)
echo "mining 1,000 blocks…" >&2
rows+=("$(lg rpc-cost -url "$url" -rpc "$rpc" -chain ethereum -blocks 1000 -finality-lag 2 -row 'RPC calls per 1,000 blocks')")
rss=$(awk '/^VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$gw_pid/status")

echo
echo "EPUSDT figures — $(date -u +%Y-%m-%d), $(nproc) CPU, $(uname -m), SQLite, $(go version | awk '{print $3}')"
echo
echo "| figure | value | detail |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "| peak RSS of the gateway | $rss | VmHWM after all of the above |"
