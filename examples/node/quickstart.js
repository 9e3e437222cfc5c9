import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "./paratag.js";              // loads ../../proto with @grpc/proto-loader
const client = connect(process.env.PARATAG_TARGET ?? "localhost:50051");
const r = await client.classify({ text: "Vaccine doses arrived.", topK: 3 });
console.log(r.labels, r.topics.map((t) => [t.topic, t.score.toFixed(2)]));
// JavaScript strings are UTF-16: ask for ENCODING_UTF16 and use doc.slice(begin, end).
const doc = readFileSync("../sample-article.txt", "utf8");
const x = await client.extract({ document: doc, encoding: "ENCODING_UTF16" });
assert.ok(x.passages.every((p) => doc.slice(p.span.begin, p.span.end) === p.text));
console.log(x.passages.map((p) => p.labels));
client.close();
