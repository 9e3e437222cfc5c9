#!/usr/bin/env python3
"""Interop checks run in CI against a real paratag server with Python's grpcio.

Exits non-zero at the first failed check. Usage:
    .venv/bin/python interop_test.py --target 127.0.0.1:50051 [--article path]
"""

import argparse
import os
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "gen"))
from paratag.v1 import paratag_pb2 as pb  # noqa: E402
from paratag.v1 import paratag_pb2_grpc as pb_grpc  # noqa: E402

passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    passed += 1
    print(f"ok  {what}")


def expect_error(call, code, field, what):
    try:
        call()
    except grpc.RpcError as e:
        check(e.code() == code, f"{what}: {code.name} (got {e.code().name}: {e.details()})")
        if field is not None:
            check(e.details().startswith(f"{field}:"), f"{what}: message names {field}")
            status = rpc_status.from_call(e)
            bad = error_details_pb2.BadRequest()
            unpacked = status is not None and any(
                d.Unpack(bad) for d in status.details if d.Is(bad.DESCRIPTOR)
            )
            check(unpacked and bad.field_violations[0].field == field,
                  f"{what}: BadRequest detail names {field}")
        return
    check(False, f"{what}: expected {code.name}, the call succeeded")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--article")
    args = parser.parse_args()

    with grpc.insecure_channel(args.target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ["", "paratag.v1.TopicClassifier"]:
            r = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            check(r.status == health_pb2.HealthCheckResponse.SERVING, f"health {service!r} SERVING")

        stub = pb_grpc.TopicClassifierStub(channel)
        info = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
        topics = [t.id for t in info.topics]
        check("health_cooperation" in topics and len(topics) == 10, "model info lists 10 topics")
        check(info.limits.max_batch_items > 0, "model info reports limits")

        r = stub.Classify(pb.ClassifyRequest(
            text="The health ministers agreed to ship two million vaccine doses and syringes "
                 "to clinics fighting the measles outbreak."), timeout=5)
        check(list(r.labels)[:1] == ["health_cooperation"], f"vaccine paragraph labelled health ({list(r.labels)})")
        scores = [t.score for t in r.topics]
        check(scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores),
              "scores are probabilities, best first")

        texts = ["Police arrested members of an extremist cell planning a bombing.",
                 "The striker scored twice and the crowd sang in the rain."]
        b = stub.ClassifyBatch(pb.ClassifyBatchRequest(texts=texts), timeout=5)
        check(list(b.results[0].labels)[:1] == ["counterterrorism"], "batch item 0 counterterrorism")
        check(len(b.results[1].labels) == 0, "batch item 1 about none of the topics")

        document = ("Çağla Şahin, the Foreign Minister, said: “Vaccines 💉 arrive in Jan. 2.5 "
                    "million doses at once.” 中国 agreed.\n\nThe match ended 2–1 👍.")
        x = stub.Extract(pb.ExtractRequest(
            document=document, encoding=pb.ENCODING_UTF32,
            features=pb.ExtractFeatures(sentences=True, entities=True, quotes=True, key_terms=3)),
            timeout=10)
        check(x.encoding == pb.ENCODING_UTF32, "response echoes UTF-32")
        ok = all(document[p.span.begin:p.span.end] == p.text for p in x.passages)
        ok &= all(document[s.span.begin:s.span.end] == s.text for p in x.passages for s in p.sentences)
        ok &= all(document[m.span.begin:m.span.end] == m.text for e in x.entities for m in e.mentions)
        ok &= all(document[q.span.begin:q.span.end] == q.text for q in x.quotes)
        check(ok and len(x.passages) == 2, "UTF-32 spans cut Python strings exactly")
        check(any(e.name == "Çağla Şahin" for e in x.entities), "accented person found")

        if args.article and os.path.exists(args.article):
            with open(args.article, encoding="utf-8") as f:
                article = f.read()
            a = stub.Extract(pb.ExtractRequest(
                document=article, encoding=pb.ENCODING_UTF32,
                features=pb.ExtractFeatures(entities=True, quotes=True)), timeout=10)
            check(a.total_passages == 13, "article has 13 paragraphs")
            names = {e.name for e in a.entities}
            check({"Wang Yi", "Mevlut Cavusoglu", "China", "Turkey"} <= names, "article entities")
            check(any(q.speaker == "Wang Yi" and "political trust" in q.text for q in a.quotes),
                  "trust quote attributed to Wang Yi")

        expect_error(lambda: stub.Classify(pb.ClassifyRequest(text="  "), timeout=5),
                     grpc.StatusCode.INVALID_ARGUMENT, "text", "blank text")
        expect_error(lambda: stub.Classify(pb.ClassifyRequest(text="x", min_score=2.0), timeout=5),
                     grpc.StatusCode.INVALID_ARGUMENT, "min_score", "min_score out of range")
        expect_error(lambda: stub.Extract(pb.ExtractRequest(document="Some text.", topics=["sport"]), timeout=5),
                     grpc.StatusCode.INVALID_ARGUMENT, "topics[0]", "unknown topic")
        too_many = ["text"] * (info.limits.max_batch_items + 1)
        expect_error(lambda: stub.ClassifyBatch(pb.ClassifyBatchRequest(texts=too_many), timeout=5),
                     grpc.StatusCode.INVALID_ARGUMENT, "texts", "batch over the limit")
        big = "Ministers met to discuss vaccines and tariffs.\n\n" * 30000
        expect_error(lambda: stub.Extract(pb.ExtractRequest(
            document=big, features=pb.ExtractFeatures(entities=True, quotes=True, key_terms=5)),
            timeout=0.001), grpc.StatusCode.DEADLINE_EXCEEDED, None, "a 1 ms deadline")

        # Answer size: grpcio receives at most 4 MiB by default (this channel keeps the default).
        check(info.limits.max_response_bytes == 4 * 1024 * 1024, "answers are capped at 4 MiB")
        long_doc = "".join(
            f"Steel exports rose after tariffs were cut, customs officers said (report {i}).\n\n"
            for i in range(22000))
        expect_error(lambda: stub.Extract(pb.ExtractRequest(
            document=long_doc, features=pb.ExtractFeatures(sentences=True, key_terms=5)), timeout=60),
            grpc.StatusCode.OUT_OF_RANGE, None, "an answer over 4 MiB is refused by the server")
        try:
            stub.Extract(pb.ExtractRequest(document=long_doc, features=pb.ExtractFeatures(
                sentences=True, key_terms=5)), timeout=60)
        except grpc.RpcError as e:
            check("omit_text" in e.details() and "passage_top_k" in e.details(),
                  f"the refusal says how to ask for less ({e.details()[:80]}...)")
        lean = stub.Extract(pb.ExtractRequest(document=long_doc, omit_text=True, passage_top_k=3),
                            timeout=60)
        check(len(lean.passages) == 22000 and all(not p.text for p in lean.passages)
              and long_doc[lean.passages[7].span.begin:lean.passages[7].span.end].endswith("(report 7)."),
              "with omit_text and passage_top_k the answer reaches a default grpcio client")

        items = [pb.ClassifyStreamRequest(id=f"n{i}", text=("" if i == 3 else "Tariffs on steel rose."))
                 for i in range(20)]
        replies = list(stub.ClassifyStream(iter(items), timeout=10))
        check([r.id for r in replies] == [f"n{i}" for i in range(20)], "stream answers in order")
        check(replies[3].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
              and replies[3].error.field == "text", "stream reports the bad item on the item")
        check(all(r.HasField("result") for i, r in enumerate(replies) if i != 3),
              "stream continues after the bad item")

    print(f"python interop: {passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
