import os, sys
import grpc
sys.path.insert(0, "gen")                       # the stubs ./generate.sh wrote
from paratag.v1 import paratag_pb2 as pb, paratag_pb2_grpc as pb_grpc

target = os.environ.get("PARATAG_TARGET", "localhost:50051")
stub = pb_grpc.TopicClassifierStub(grpc.insecure_channel(target))
reply = stub.Classify(pb.ClassifyRequest(text="Vaccine doses arrived.", explain=True), timeout=2)
print(list(reply.labels), [(t.topic, round(t.score, 2)) for t in reply.topics[:3]])
# Python indexes str by code point: ask Extract for ENCODING_UTF32 and slice directly.
doc = open("../sample-article.txt", encoding="utf-8").read()
x = stub.Extract(pb.ExtractRequest(document=doc, encoding=pb.ENCODING_UTF32), timeout=10)
assert all(doc[p.span.begin:p.span.end] == p.text for p in x.passages)
print([list(p.labels) for p in x.passages])
