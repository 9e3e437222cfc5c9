#!/usr/bin/env node
// Calls paratag's Classify using only server reflection (no .proto file), as grpcurl does.
//   node reflection_client.js --target localhost:50051 "Text to classify."
import { parseArgs } from "node:util";
import grpc from "@grpc/grpc-js";
import { GrpcReflection } from "grpc-js-reflection-client";

const { values, positionals } = parseArgs({
  options: { target: { type: "string", default: "localhost:50051" } },
  allowPositionals: true,
});
const text = positionals[0] ?? "Both sides pledged to fight terrorism together.";
const credentials = grpc.credentials.createInsecure();

const reflection = new GrpcReflection(values.target, credentials);
const services = await reflection.listServices();
console.log(`services: ${services.join(", ")}`);
const descriptor = await reflection.getDescriptorBySymbol("paratag.v1.TopicClassifier");
const pkg = descriptor.getPackageObject({ longs: String, enums: String, defaults: true });
const client = new pkg.paratag.v1.TopicClassifier(values.target, credentials);
// The reflected descriptor keeps the proto's own field names, so fields are snake_case here
// (top_k, model_version), unlike paratag.js, whose proto-loader converts them to camelCase.
client.Classify({ text, top_k: 3 }, { deadline: Date.now() + 5000 }, (err, reply) => {
  if (err) {
    console.error(`Classify failed: ${err.code} ${err.details}`);
    process.exitCode = 1;
  } else {
    console.log(JSON.stringify(reply, null, 2));
    console.log(`labels: ${JSON.stringify(reply.labels)}`);
    console.log(`topics: ${reply.topics.length}`);
  }
  client.close();
});
