#!/usr/bin/env python3
"""paratag from Python: classify a paragraph, classify a batch, extract a document.

    ./generate.sh                      # once: stubs from ../../proto into ./gen
    .venv/bin/python client.py --target localhost:50051 --document article.txt
"""

import argparse
import os
import sys

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "gen"))
from paratag.v1 import paratag_pb2 as pb  # noqa: E402
from paratag.v1 import paratag_pb2_grpc as pb_grpc  # noqa: E402

PARAGRAPH = (
    "The health ministers agreed that two million vaccine doses will arrive next month "
    "and that a joint clinical trial will start in the spring."
)
BATCH = [
    "Police arrested four members of an extremist cell that was planning a bombing.",
    "The two countries signed a free trade agreement cutting tariffs on farm goods.",
    "The home side won the derby with a late header.",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="localhost:50051")
    parser.add_argument("--document", help="a text file to extract (default: a built-in one)")
    parser.add_argument("--token", default=os.environ.get("PARATAG_TOKEN"),
                        help="bearer token, if the server requires one")
    args = parser.parse_args()

    metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
    with grpc.insecure_channel(args.target) as channel:
        stub = pb_grpc.TopicClassifierStub(channel)

        info = stub.GetModelInfo(pb.GetModelInfoRequest(), metadata=metadata, timeout=5)
        print(f"model {info.name} {info.version}: {', '.join(t.id for t in info.topics)}")

        reply = stub.Classify(
            pb.ClassifyRequest(text=PARAGRAPH, top_k=3, explain=True),
            metadata=metadata,
            timeout=5,
        )
        print(f"\nClassify -> labels {list(reply.labels)}")
        for t in reply.topics:
            terms = ", ".join(f"{e.term} ({e.weight:+.2f})" for e in t.evidence)
            print(f"  {t.topic:<20} {t.score:.3f}  {terms}")

        batch = stub.ClassifyBatch(pb.ClassifyBatchRequest(texts=BATCH), metadata=metadata, timeout=5)
        print("\nClassifyBatch")
        for text, result in zip(BATCH, batch.results):
            print(f"  {list(result.labels) or ['(none)']!s:<32} {text[:60]}")

        if args.document:
            with open(args.document, encoding="utf-8") as f:
                document = f.read()
        else:
            document = f"{PARAGRAPH}\n\n" + "\n\n".join(BATCH)
        # Python indexes strings by code point: ask for UTF-32 offsets.
        extraction = stub.Extract(
            pb.ExtractRequest(
                document=document,
                encoding=pb.ENCODING_UTF32,
                features=pb.ExtractFeatures(entities=True, quotes=True, key_terms=3),
            ),
            metadata=metadata,
            timeout=30,
        )
        print(f"\nExtract -> {extraction.total_passages} paragraphs")
        for p in extraction.passages:
            assert document[p.span.begin:p.span.end] == p.text
            print(f"  #{p.index:<2} {list(p.labels) or ['(none)']!s:<40} {p.text[:50]}")
        for e in extraction.entities[:8]:
            role = f" ({e.role})" if e.role else ""
            print(f"  {pb.EntityType.Name(e.type):<26} {e.name}{role}: {len(e.mentions)} mentions")
        for q in extraction.quotes:
            print(f"  quote by {q.speaker or 'unknown'}: “{q.text[:60]}”")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except grpc.RpcError as e:
        print(f"paratag call failed: {e.code().name}: {e.details()}", file=sys.stderr)
        sys.exit(1)
