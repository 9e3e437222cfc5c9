// Loads paratag's API from ../../proto at run time with @grpc/proto-loader (no code
// generation) and returns a client constructor. Promise wrappers keep the examples short.
import { fileURLToPath } from "node:url";
import path from "node:path";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const here = path.dirname(fileURLToPath(import.meta.url));

export const definition = protoLoader.loadSync("paratag/v1/paratag.proto", {
  includeDirs: [path.join(here, "../../proto")],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
export const paratag = grpc.loadPackageDefinition(definition).paratag.v1;
export { grpc };

/** A TopicClassifier client whose unary methods return promises. */
export function connect(target, token) {
  const client = new paratag.TopicClassifier(target, grpc.credentials.createInsecure());
  const call = (method) => (request, { deadlineMs = 10_000 } = {}) =>
    new Promise((resolve, reject) => {
      const metadata = new grpc.Metadata();
      if (token) metadata.set("authorization", `Bearer ${token}`);
      client[method](request, metadata, { deadline: Date.now() + deadlineMs }, (err, reply) =>
        err ? reject(err) : resolve(reply),
      );
    });
  return {
    raw: client,
    classify: call("Classify"),
    classifyBatch: call("ClassifyBatch"),
    extract: call("Extract"),
    getModelInfo: call("GetModelInfo"),
    close: () => client.close(),
  };
}
