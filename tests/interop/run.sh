#!/usr/bin/env bash
# Interop: the real paratag server against real Python (grpcio) and Node.js (@grpc/grpc-js,
# Connect gRPC-Web) clients. Expects the clients' dependencies installed (see .ci/run):
#   examples/python/.venv with requirements.txt, stubs from examples/python/generate.sh
#   examples/node/node_modules from `npm ci`, gRPC-Web code from `npm run generate`
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bin=${PARATAG_BIN:-$root/target/debug/paratag}
[ -x "$bin" ] || cargo build --locked --bin paratag
py=examples/python/.venv/bin/python
article=$root/../shared/examples/china-turkey-call.txt

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
"$bin" serve --listen "127.0.0.1:$port" --metrics-listen off \
  --cors-allowed-origins http://example.test 2>"$log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

# Wait until health says SERVING (at most 30 s).
"$py" - "$port" <<'PY'
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

target=127.0.0.1:$port
echo "== Python (grpcio)"
"$py" examples/python/interop_test.py --target "$target" --article "$article"
"$py" examples/python/client.py --target "$target" > /dev/null
"$py" examples/python/reflection_client.py --target "$target" | grep -qx 'topics: 3'
echo "== Node.js (@grpc/grpc-js)"
node examples/node/interop_test.js --target "$target"
node examples/node/client.js --target "$target" > /dev/null
node examples/node/reflection_client.js --target "$target" | grep -qx 'topics: 3'
echo "== Node.js gRPC-Web (Connect)"
node examples/node/grpcweb_test.js --base-url "http://$target" --origin http://example.test

# Graceful shutdown: SIGTERM → exit 0.
kill -TERM "$pid"
if wait "$pid"; then
  echo "== interop passed (server shut down cleanly)"
else
  echo "server exited with an error:"; cat "$log"; exit 1
fi
trap - EXIT
rm -f "$log"
