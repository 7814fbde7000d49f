#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, fuzz/seeds/<target>/, from the repo's
own files: examples/ (manifests, InferenceRequest NDJSON), deploy/ (the
project's Kubernetes manifests), the string literals of the parsers' tests
(kubeconfigs, Prometheus answers, tokenizer.json, safetensors headers,
quantities), plus a few files built here where the repo has none of that
format (AdmissionReviews around the example manifests, small safetensors
files). Deterministic: run again after the sources change and commit the diff.

usage: fuzz/make_seeds.py [repo root]   (default: the parent of fuzz/)
"""
import hashlib
import json
import os
import re
import shutil
import struct
import sys

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "fuzz", "seeds")
MAX_SEED = 16 * 1024  # larger files slow every mutation; lines are seeds too

seeds = {}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    seeds.setdefault(target, set()).add(data)


def read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


def files(folder, suffixes):
    out = []
    for base, _, names in os.walk(os.path.join(ROOT, folder)):
        for n in names:
            if n.endswith(suffixes):
                out.append(os.path.relpath(os.path.join(base, n), ROOT))
    return sorted(out)


def raw_strings(rel):
    """The test file's raw string literals, adjacent ones joined (as C++
    does)."""
    text = read(rel).decode()
    out = []
    pattern = re.compile(r'R"([^(\s]*)\((.*?)\)\1"', re.S)
    pos, current, end = 0, None, -1
    for m in pattern.finditer(text):
        if current is not None and text[end:m.start()].strip() == "":
            current += m.group(2)
        else:
            if current is not None:
                out.append(current)
            current = m.group(2)
        end = m.end()
    if current is not None:
        out.append(current)
    return out


def unescape(literal):
    """A C++ string literal's bytes (UTF-8 source; \\x, \\u, \\U, octal)."""
    out = bytearray()
    i = 0
    simple = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39,
              "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
    while i < len(literal):
        c = literal[i]
        if c != "\\" or i + 1 == len(literal):
            out += c.encode()
            i += 1
            continue
        e = literal[i + 1]
        if e == "x":
            m = re.match(r"[0-9a-fA-F]+", literal[i + 2:])
            out.append(int(m.group(0), 16) & 0xff)
            i += 2 + len(m.group(0))
        elif e in "uU":
            n = 4 if e == "u" else 8
            out += chr(int(literal[i + 2:i + 2 + n], 16)).encode(
                "utf-8", "surrogatepass")
            i += 2 + n
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", literal[i + 1:])
            out.append(int(m.group(0), 8) & 0xff)
            i += 1 + len(m.group(0))
        else:
            out.append(simple.get(e, ord(e)))
            i += 2
    return bytes(out)


def quoted_strings(rel):
    text = read(rel).decode()
    return [unescape(m)
            for m in re.findall(r'(?<!R)"((?:[^"\\\n]|\\.)*)"', text)]


# Manifests: the examples, the deploy folder, the tests' objects.
manifests = [read(p) for p in files("examples/manifests", (".yaml", ".yml"))]
manifests += [read(p) for p in files("deploy", (".yaml", ".yml"))]
for rel in ["src/collect/manifest_test.cc", "src/collect/informer_test.cc",
            "src/serve/admission_test.cc", "src/serve/server_test.cc"]:
    if os.path.exists(os.path.join(ROOT, rel)):
        manifests += [s.encode() for s in raw_strings(rel)
                      if "kind" in s or "apiVersion" in s]
for m in manifests:
    add("manifest", m)
    add("serve_yaml", m)

# AdmissionReviews around each workload object of those manifests.
objects = []
for m in manifests:
    try:
        for doc in yaml.safe_load_all(m):
            if isinstance(doc, dict) and "kind" in doc:
                objects.append(doc)
    except yaml.YAMLError:
        pass
for s in raw_strings("src/serve/admission_test.cc"):
    if "AdmissionReview" in s:
        add("admission", s)
for i, obj in enumerate(objects):
    for op in ("CREATE", "UPDATE", "DELETE"):
        review = {"apiVersion": "admission.k8s.io/v1",
                  "kind": "AdmissionReview",
                  "request": {"uid": f"uid-{i}", "operation": op,
                              "namespace": "default",
                              "kind": {"group": "apps", "version": "v1",
                                       "kind": obj.get("kind", "")},
                              "object": obj}}
        add("admission", json.dumps(review, default=str))

# Quantities: the tests' literals and every resources value in the manifests.
for q in quoted_strings("src/kube/quantity_test.cc"):
    if 0 < len(q) <= 40:
        add("quantity", q)
for obj in objects:
    for m in re.finditer(r"'(cpu|memory|nvidia.com/gpu)': '?([^',}]+)",
                         str(obj)):
        add("quantity", m.group(2))

# InferenceRequest NDJSON: whole files and single lines.
for p in files("examples/data", (".ndjson",)):
    data = read(p)
    add("inference_request", data[:MAX_SEED])
    for line in data.splitlines():
        add("inference_request", line)

# Kubeconfigs: the tests' and tests/e2e/kube-up.sh's.
for s in raw_strings("src/kube/kubeconfig_test.cc"):
    if "clusters" in s or "contexts" in s or "users" in s:
        add("kubeconfig", s)
m = re.search(r"<<KC\n(.*?)\nKC\n", read("tests/e2e/kube-up.sh").decode(), re.S)
if m:
    add("kubeconfig", m.group(1).replace("$d/", "/tmp/").replace("$", ""))

# Prometheus answers: the tests' bodies.
for rel in ["src/prom/response_test.cc", "src/prom/prom_client_integration_test.cc"]:
    if os.path.exists(os.path.join(ROOT, rel)):
        for s in raw_strings(rel):
            if s.lstrip().startswith("{"):
                add("prom_response", s)

# tokenizer.json: the tests' files, and one of every field the loader reads.
for s in raw_strings("src/text/wordpiece_tokenizer_test.cc"):
    if "vocab" in s or "model" in s:
        add("tokenizer_json", s)
vocab = {t: i for i, t in enumerate(
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
     "run", "##s", "nginx", "東", "café", "##é"])}
add("tokenizer_json", json.dumps({
    "version": "1.0",
    "added_tokens": [{"id": i, "content": t, "special": True}
                     for t, i in list(vocab.items())[:5]],
    "normalizer": {"type": "BertNormalizer", "clean_text": True,
                   "handle_chinese_chars": True, "strip_accents": None,
                   "lowercase": True},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "model": {"type": "WordPiece", "unk_token": "[UNK]",
              "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 100, "vocab": vocab}},
    ensure_ascii=False))

# Words to tokenize: the tests' literals and the records' text fields.
for q in quoted_strings("src/text/wordpiece_tokenizer_test.cc"):
    if q:
        add("wordpiece", q)
for p in files("examples/data", (".ndjson",)):
    for line in read(p).splitlines()[:20]:
        rec = json.loads(line)
        for c in rec.get("containers") or []:
            add("wordpiece", " ".join([c.get("image") or ""] +
                                      (c.get("command") or []) +
                                      (c.get("args") or [])))

# safetensors: the tests' headers with a buffer of the size they claim, and
# files as WriteSafetensors writes them.


def safetensors(header, buffer_size):
    h = header.encode()
    return struct.pack("<Q", len(h)) + h + bytes(range(256)) * \
        (buffer_size // 256) + bytes(range(buffer_size % 256))


for s in raw_strings("src/text/safetensors_test.cc"):
    try:
        header = json.loads(s)
    except ValueError:
        continue
    size = max([v["data_offsets"][1] for k, v in header.items()
                if isinstance(v, dict) and "data_offsets" in v] + [0])
    add("safetensors", safetensors(s, size))
add("safetensors", safetensors(json.dumps({
    "__metadata__": {"format": "pt"},
    "emb": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
    "half": {"dtype": "F16", "shape": [4], "data_offsets": [24, 32]},
    "bf": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [32, 36]},
    "ids": {"dtype": "I64", "shape": [1], "data_offsets": [36, 44]}},
    separators=(",", ":")), 44))
add("safetensors", safetensors("{}", 0))

# Write: one file per seed, named by its hash (stable across runs).
if os.path.isdir(OUT):
    shutil.rmtree(OUT)
for target, datas in sorted(seeds.items()):
    folder = os.path.join(OUT, target)
    os.makedirs(folder)
    for d in datas:
        with open(os.path.join(folder, hashlib.sha1(d).hexdigest()), "wb") as f:
            f.write(d)
    print(f"{target}: {len(datas)} seeds, {sum(map(len, datas))} bytes")
