#!/usr/bin/env node
// Interop checks run in CI against a real paratag server with @grpc/grpc-js.
//   node interop_test.js --target 127.0.0.1:50051
import { parseArgs } from "node:util";
import { GrpcReflection } from "grpc-js-reflection-client";
import { connect, grpc } from "./paratag.js";
import { check, passedCount } from "./checks.js";

const { values } = parseArgs({ options: { target: { type: "string" } } });
async function expectError(promise, code, field, what) {
  try {
    await promise;
  } catch (err) {
    check(err.code === code, `${what}: ${grpc.status[code]} (got ${grpc.status[err.code]}: ${err.details})`);
    if (field) check(err.details.startsWith(`${field}:`), `${what}: message names ${field}`);
    return;
  }
  check(false, `${what}: expected ${grpc.status[code]}, the call succeeded`);
}

const credentials = grpc.credentials.createInsecure();
// Health, described by the server itself through reflection.
const reflection = new GrpcReflection(values.target, credentials);
const services = await reflection.listServices();
check(services.includes("paratag.v1.TopicClassifier"), "reflection lists paratag.v1.TopicClassifier");
const healthPkg = (await reflection.getDescriptorBySymbol("grpc.health.v1.Health")).getPackageObject({
  enums: String,
});
const health = new healthPkg.grpc.health.v1.Health(values.target, credentials);
const status = await new Promise((resolve, reject) =>
  health.Check({ service: "paratag.v1.TopicClassifier" }, (e, r) => (e ? reject(e) : resolve(r))),
);
check(status.status === "SERVING", "health SERVING");
health.close();

const client = connect(values.target);
const r = await client.classify({
  text: "Police arrested members of an extremist cell that planned a bombing, the interior ministry said.",
});
check(r.labels[0] === "counterterrorism", `terrorism paragraph labelled (${r.labels})`);

const doc = "Çağla Şahin, the Foreign Minister, said: “Vaccines 💉 arrive in Jan. 2.5 million doses.” 中国 agreed.\n\nThe match ended 2–1 👍.";
const x = await client.extract({
  document: doc,
  encoding: "ENCODING_UTF16",
  features: { sentences: true, entities: true, quotes: true, keyTerms: 3 },
});
check(x.encoding === "ENCODING_UTF16", "response echoes UTF-16");
let exact = x.passages.every((p) => doc.slice(p.span.begin, p.span.end) === p.text);
exact &&= x.passages.every((p) => p.sentences.every((s) => doc.slice(s.span.begin, s.span.end) === s.text));
exact &&= x.entities.every((e) => e.mentions.every((m) => doc.slice(m.span.begin, m.span.end) === m.text));
exact &&= x.quotes.every((q) => doc.slice(q.span.begin, q.span.end) === q.text);
check(exact && x.passages.length === 2, "UTF-16 spans cut JavaScript strings exactly (emoji included)");
check(x.quotes.some((q) => q.speaker === "Çağla Şahin"), "quote attributed");

await expectError(client.classify({ text: " \n" }), grpc.status.INVALID_ARGUMENT, "text", "blank text");
await expectError(
  client.extract({ document: "Some text.", topics: ["sport"] }),
  grpc.status.INVALID_ARGUMENT,
  "topics[0]",
  "unknown topic",
);
const big = "Ministers met to discuss vaccines and tariffs.\n\n".repeat(30000);
await expectError(
  client.extract({ document: big, features: { entities: true, quotes: true, keyTerms: 5 } }, { deadlineMs: 1 }),
  grpc.status.DEADLINE_EXCEEDED,
  null,
  "a 1 ms deadline",
);

// ClassifyStream: responses in order, a bad item reported on the item.
const stream = client.raw.ClassifyStream();
const replies = [];
const done = new Promise((resolve, reject) => {
  stream.on("data", (m) => replies.push(m));
  stream.on("end", resolve);
  stream.on("error", reject);
});
for (let i = 0; i < 20; i++) stream.write({ id: `n${i}`, text: i === 5 ? "" : "Vaccine doses for the outbreak." });
stream.end();
await done;
check(replies.map((m) => m.id).join() === Array.from({ length: 20 }, (_, i) => `n${i}`).join(), "stream answers in order");
check(replies[5].error?.field === "text" && replies[5].error.code === grpc.status.INVALID_ARGUMENT, "bad stream item reported on the item");
check(replies.filter((m, i) => i !== 5).every((m) => m.result?.labels[0] === "health_cooperation"), "stream continues");

client.close();
console.log(`node interop: ${passedCount()} checks passed`);
