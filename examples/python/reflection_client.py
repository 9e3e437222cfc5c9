#!/usr/bin/env python3
"""Calls paratag's Classify using only server reflection — no .proto, no generated stubs —
the way grpcurl does.

    .venv/bin/python reflection_client.py --target localhost:50051 "Text to classify."
"""

import argparse
import sys

import grpc
from google.protobuf import descriptor_pool, json_format
from google.protobuf.message_factory import GetMessageClass
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

SERVICE = "paratag.v1.TopicClassifier"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="localhost:50051")
    parser.add_argument("text", nargs="?", default="Both sides pledged to fight terrorism together.")
    args = parser.parse_args()

    with grpc.insecure_channel(args.target) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = database.get_services()
        print(f"services: {', '.join(services)}")
        pool = descriptor_pool.DescriptorPool(database)
        method = pool.FindServiceByName(SERVICE).FindMethodByName("Classify")
        request_class = GetMessageClass(method.input_type)
        response_class = GetMessageClass(method.output_type)
        call = channel.unary_unary(
            f"/{SERVICE}/Classify",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        response = call(request_class(text=args.text, top_k=3), timeout=5)
        print(json_format.MessageToJson(response))
        print(f"labels: {list(response.labels)}")
        print(f"topics: {len(response.topics)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
