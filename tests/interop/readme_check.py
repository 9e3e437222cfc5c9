#!/usr/bin/env python3
"""Runs the README as a new user would, so that it cannot drift from the server.

- every `grpcurl …` and `buf curl …` command in a ```sh block runs from the repository root with
  the real binaries, `localhost:50051` pointing at the server under test (the Admin commands at
  a second server started with --admin and a token in $TOKEN), and must succeed;
- the JSON block marked `<!-- answer of the first Classify command -->` must be what that
  command answers: same labels, topics and evidence terms, numbers equal to two places;
- a code block marked `<!-- path/to/file -->` must be exactly that file (the file is run by
  tests/interop/run.sh).

Usage: readme_check.py --grpcurl BIN --buf BIN --target HOST:PORT --admin-target HOST:PORT
(the token of the admin server in $TOKEN).
"""

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
README = os.path.join(ROOT, "README.md")
ANSWER_MARK = "<!-- answer of the first Classify command -->"

failures = []


def blocks(text):
    """(marker comment or None, language, body) for each fenced block."""
    pattern = re.compile(r"(?:^(<!--[^\n]*-->)\n)?^```(\w*)\n(.*?)^```", re.M | re.S)
    for m in pattern.finditer(text):
        yield m.group(1), m.group(2), m.group(3)


def complete(command):
    """Whether `command` is a whole shell command (no open quote, no trailing backslash)."""
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command)
        return True
    except ValueError:
        return False


def commands(body):
    """The grpcurl and buf curl commands of a block, each with its continuation lines."""
    lines = iter(body.splitlines())
    for line in lines:
        if not (line.startswith("grpcurl ") or line.startswith("buf curl ")):
            continue
        command = line
        while not complete(command):
            command += "\n" + next(lines)
        yield command


def run(command, args):
    target = args.admin_target if "paratag.v1.Admin/" in command else args.target
    line = command.replace("localhost:50051", target)
    line = re.sub(r"^grpcurl ", f"{args.grpcurl} ", line)
    line = re.sub(r"^buf curl ", f"{args.buf} curl ", line)
    done = subprocess.run(["bash", "-c", line], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        failures.append(f"{command}\n  exit {done.returncode}: {done.stderr.strip()[:500]}")
    else:
        print(f"ok  {command[:100]}")
    return done.stdout


def same_answer(documented, real, path="answer"):
    """Differences between the README's answer and the real one (numbers to two places)."""
    if isinstance(documented, dict):
        if set(documented) != set(real):
            return [f"{path}: fields {sorted(documented)} vs {sorted(real)}"]
        return [d for k in documented if k != "modelVersion"
                for d in same_answer(documented[k], real[k], f"{path}.{k}")]
    if isinstance(documented, list):
        if len(documented) != len(real):
            return [f"{path}: {len(documented)} items vs {len(real)}"]
        return [d for i, (a, b) in enumerate(zip(documented, real))
                for d in same_answer(a, b, f"{path}[{i}]")]
    if isinstance(documented, float) or isinstance(real, float):
        if not math.isclose(float(documented), float(real), abs_tol=0.005):
            return [f"{path}: README {documented}, server {real}"]
        return []
    return [] if documented == real else [f"{path}: README {documented!r}, server {real!r}"]


def main():
    parser = argparse.ArgumentParser()
    for flag in ["--grpcurl", "--buf", "--target", "--admin-target"]:
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    text = open(README, encoding="utf-8").read()

    first_classify = None
    ran = 0
    for marker, lang, body in blocks(text):
        if lang == "sh":
            for command in commands(body):
                out = run(command, args)
                ran += 1
                if first_classify is None and command.endswith("TopicClassifier/Classify") \
                        and command.startswith("grpcurl"):
                    first_classify = out
        elif marker == ANSWER_MARK:
            if first_classify is None:
                failures.append("the documented answer comes before any Classify command")
                continue
            diffs = same_answer(json.loads(body), json.loads(first_classify))
            failures.extend(f"README sample answer: {d}" for d in diffs)
            if not diffs:
                print("ok  the README's sample answer is what the server answers")
        elif marker and marker != ANSWER_MARK:
            path = marker[4:-3].strip()
            with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                if f.read() != body:
                    failures.append(f"the README's snippet differs from {path}")
                else:
                    print(f"ok  the README's snippet is {path}")
    if ran < 10:
        failures.append(f"only {ran} grpcurl/buf commands found in the README")
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print(f"readme: {ran} commands run, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
