"""Writes one gRPC-framed paratag.v1.ClassifyRequest to stdout, for h2load's -d option.

Usage: python3 benches/grpc_request.py ["text to classify"] > classify.bin
The frame is a 0 byte (not compressed), the message length as 4 bytes big-endian, then the
protobuf message: field 1 (text), wire type 2, a varint length, and the UTF-8 bytes.
"""

import sys

DEFAULT = (
    "The health ministers of both countries agreed on Tuesday to share vaccine trial data, "
    "to send medical teams to the border provinces and to ship syringes and cold-chain "
    "equipment before the winter epidemic season begins."
)


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main() -> None:
    text = (sys.argv[1] if len(sys.argv) > 1 else DEFAULT).encode("utf-8")
    message = b"\x0a" + varint(len(text)) + text
    sys.stdout.buffer.write(b"\x00" + len(message).to_bytes(4, "big") + message)


if __name__ == "__main__":
    main()
