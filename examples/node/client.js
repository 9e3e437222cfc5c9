#!/usr/bin/env node
// paratag from Node.js: classify a paragraph, classify a batch, extract a document.
//   npm ci && node client.js --target localhost:50051 --document article.txt
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { connect } from "./paratag.js";

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "localhost:50051" },
    document: { type: "string" },
    token: { type: "string", default: process.env.PARATAG_TOKEN },
  },
});

const paragraph =
  "The health ministers agreed that two million vaccine doses will arrive next month " +
  "and that a joint clinical trial will start in the spring.";
const batch = [
  "Police arrested four members of an extremist cell that was planning a bombing.",
  "The two countries signed a free trade agreement cutting tariffs on farm goods.",
  "The home side won the derby with a late header.",
];

const client = connect(values.target, values.token);
try {
  const info = await client.getModelInfo({});
  console.log(`model ${info.name} ${info.version}: ${info.topics.map((t) => t.id).join(", ")}`);

  const reply = await client.classify({ text: paragraph, topK: 3, explain: true });
  console.log(`\nClassify -> labels ${JSON.stringify(reply.labels)}`);
  for (const t of reply.topics) {
    const terms = t.evidence.map((e) => `${e.term} (${e.weight.toFixed(2)})`).join(", ");
    console.log(`  ${t.topic.padEnd(20)} ${t.score.toFixed(3)}  ${terms}`);
  }

  const results = await client.classifyBatch({ texts: batch });
  console.log("\nClassifyBatch");
  results.results.forEach((r, i) =>
    console.log(`  ${JSON.stringify(r.labels.length ? r.labels : ["(none)"]).padEnd(32)} ${batch[i].slice(0, 60)}`),
  );

  const document = values.document
    ? readFileSync(values.document, "utf8")
    : [paragraph, ...batch].join("\n\n");
  // JavaScript strings index UTF-16 code units: ask for UTF-16 offsets.
  const x = await client.extract({
    document,
    encoding: "ENCODING_UTF16",
    features: { entities: true, quotes: true, keyTerms: 3 },
  });
  console.log(`\nExtract -> ${x.totalPassages} paragraphs`);
  for (const p of x.passages) {
    if (document.slice(p.span.begin, p.span.end) !== p.text) throw new Error("span mismatch");
    console.log(`  #${String(p.index).padEnd(2)} ${JSON.stringify(p.labels.length ? p.labels : ["(none)"]).padEnd(40)} ${p.text.slice(0, 50)}`);
  }
  for (const e of x.entities.slice(0, 8)) {
    console.log(`  ${e.type.padEnd(26)} ${e.name}${e.role ? ` (${e.role})` : ""}: ${e.mentions.length} mentions`);
  }
  for (const q of x.quotes) console.log(`  quote by ${q.speaker || "unknown"}: “${q.text.slice(0, 60)}”`);
} catch (err) {
  console.error(`paratag call failed: ${err.code} ${err.details}`);
  process.exitCode = 1;
} finally {
  client.close();
}
