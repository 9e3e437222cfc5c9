#!/usr/bin/env node
// Calls paratag over gRPC-Web (HTTP/1.1, as a browser would) with Connect's gRPC-Web
// transport, and checks CORS. Needs the generated code: `npm run generate`.
//   node grpcweb_test.js --base-url http://127.0.0.1:50051 --origin http://example.test
import { parseArgs } from "node:util";
import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { TopicClassifier, Encoding } from "./gen/paratag/v1/paratag_pb.js";
import { check, passedCount } from "./checks.js";

const { values } = parseArgs({
  options: { "base-url": { type: "string" }, origin: { type: "string" } },
});

const transport = createGrpcWebTransport({ baseUrl: values["base-url"], httpVersion: "1.1" });
const client = createClient(TopicClassifier, transport);

const r = await client.classify({ text: "Relief flights carried tents, food and water to earthquake survivors." });
check(r.labels[0] === "humanitarian", `gRPC-Web Classify (${r.labels})`);

const doc = "Talks on a ceasefire resumed in Doha.\n\nVaccines 💉 arrived.";
const x = await client.extract({ document: doc, encoding: Encoding.UTF16 });
check(x.passages.length === 2 && x.passages.every((p) => doc.slice(p.span.begin, p.span.end) === p.text),
  "gRPC-Web Extract with UTF-16 spans");

try {
  await client.classify({ text: "" });
  check(false, "blank text must fail");
} catch (err) {
  const e = ConnectError.from(err);
  check(e.code === Code.InvalidArgument && e.rawMessage.startsWith("text:"), `gRPC-Web error code (${Code[e.code]})`);
}

// CORS: the allowed origin may call, another origin gets no permission.
const preflight = async (origin) =>
  fetch(`${values["base-url"]}/paratag.v1.TopicClassifier/Classify`, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type,x-grpc-web,x-user-agent",
    },
  });
const allowed = await preflight(values.origin);
check(allowed.headers.get("access-control-allow-origin") === values.origin, "CORS preflight allows the configured origin");
const other = await preflight("https://elsewhere.example");
check(other.headers.get("access-control-allow-origin") === null, "CORS preflight refuses other origins");

console.log(`grpc-web: ${passedCount()} checks passed`);
