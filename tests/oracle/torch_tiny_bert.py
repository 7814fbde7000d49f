#!/usr/bin/python3
"""Oracle for podpower's native BERT: builds tiny random sentence-transformers model folders with
PyTorch building blocks, writes them as Hugging Face folders (model.safetensors written by hand:
8-byte LE header length + JSON header + raw little-endian data), and computes reference sentence
embeddings in torch, one text at a time and as one padded batch with an attention mask.

Usage: torch_tiny_bert.py OUT_DIR   (writes OUT_DIR/f32_mean, OUT_DIR/f16_cls, OUT_DIR/expected.json)
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import math
import os
import re
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN, LAYERS, HEADS, INTERMEDIATE, MAX_POS = 32, 2, 4, 48, 40

WORDS = """the a pod deployment job nginx redis postgres image latest command args label app tier
backend frontend worker batch train model gpu cpu memory python run serve http port env name kind
namespace default kube system monitoring prometheus grafana kepler power watts joules data cache
queue stream spark driver executor node main test build release stable canary alpine ubuntu debian
java node go rust sleep echo hello world start stop server client api web db sql workload""".split()


def vocab_tokens():
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens += ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens += [".", ":", "/", "=", "-", "|", ",", "_"]
    tokens += [str(d) for d in range(10)] + ["##" + str(d) for d in range(10)]
    for w in WORDS:
        if w not in tokens:
            tokens.append(w)
    while len(tokens) < 300:  # a few hundred entries, like the issue asks
        tokens.append("[unused%d]" % len(tokens))
    return tokens


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.attn_out = nn.Linear(HIDDEN, HIDDEN)
        self.attn_ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.ffn_in = nn.Linear(HIDDEN, INTERMEDIATE)
        self.ffn_out = nn.Linear(INTERMEDIATE, HIDDEN)
        self.ffn_ln = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, mask_bias):
        b, t, _ = x.shape
        d = HIDDEN // HEADS

        def heads(y):
            return y.view(b, t, HEADS, d).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + mask_bias
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, t, HIDDEN)
        x = self.attn_ln(self.attn_out(ctx) + x)
        return self.ffn_ln(self.ffn_out(F.gelu(self.ffn_in(x))) + x)  # exact erf GELU


class TinyBert(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.word = nn.Embedding(vocab_size, HIDDEN)
        self.position = nn.Embedding(MAX_POS, HIDDEN)
        self.token_type = nn.Embedding(2, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.word(ids) + self.position(torch.arange(t))[None] + self.token_type(torch.zeros_like(ids))
        x = self.ln(x)
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        return x

    def hf_state(self):
        s = {
            "embeddings.word_embeddings.weight": self.word.weight,
            "embeddings.position_embeddings.weight": self.position.weight,
            "embeddings.token_type_embeddings.weight": self.token_type.weight,
            "embeddings.LayerNorm.weight": self.ln.weight,
            "embeddings.LayerNorm.bias": self.ln.bias,
        }
        for i, l in enumerate(self.layers):
            p = "encoder.layer.%d." % i
            for name, mod in [("attention.self.query", l.query), ("attention.self.key", l.key),
                              ("attention.self.value", l.value), ("attention.output.dense", l.attn_out),
                              ("attention.output.LayerNorm", l.attn_ln), ("intermediate.dense", l.ffn_in),
                              ("output.dense", l.ffn_out), ("output.LayerNorm", l.ffn_ln)]:
                s[p + name + ".weight"] = mod.weight
                s[p + name + ".bias"] = mod.bias
        return {k: v.detach().clone() for k, v in s.items()}


def randomize(model):
    g = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif "bias" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "word" in name or "position" in name or "token_type" in name:
                p.copy_(0.7 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))


def write_safetensors(path, tensors):
    """tensors: list of (name, torch tensor). F32 / F16 / I64 by the tensor's dtype."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors:
        data = t.contiguous().numpy().tobytes()  # x86: little-endian
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def tokenize(text, vocab, max_len):
    """The texts below are built from vocabulary words and punctuation only, so BERT's basic
    tokenizer reduces to lower-casing and splitting words from punctuation."""
    pieces = re.findall(r"[a-z0-9]+|[^a-z0-9\s]", text.lower())
    ids = [vocab[p] for p in pieces][: max_len - 2]
    return [vocab["[CLS]"]] + ids + [vocab["[SEP]"]]


def embed(model, batches, pooling, normalize):
    out = []
    for ids_list in batches:
        t = max(len(i) for i in ids_list)
        ids = torch.zeros(len(ids_list), t, dtype=torch.int64)  # [PAD] = 0
        mask = torch.zeros(len(ids_list), t, dtype=torch.int64)
        for r, i in enumerate(ids_list):
            ids[r, : len(i)] = torch.tensor(i)
            mask[r, : len(i)] = 1
        with torch.no_grad():
            h = model(ids, mask)
            if pooling == "mean":
                m = mask[:, :, None].float()
                v = (h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
            else:
                v = h[:, 0]
            if normalize:
                v = F.normalize(v, p=2, dim=1)
        out += v.tolist()
    return out


TEXTS = [
    "hello world",
    "workload_kind:deployment | workload_name:nginx | image:nginx:latest",
    "label:app=redis | label:tier=backend | image:redis:7 | command:redis-server",
    "",
    "Python run train model gpu",
    "kepler power watts joules data cache queue stream spark driver executor node main test build "
    "release stable canary alpine ubuntu debian java node go rust sleep echo hello world start stop",
    "job",
    "namespace default kube system monitoring prometheus grafana",
]


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    tokens = vocab_tokens()
    vocab = {t: i for i, t in enumerate(tokens)}
    model = TinyBert(len(tokens)).eval()
    randomize(model)
    state = model.hf_state()
    expected = {"texts": TEXTS, "models": {}}

    # Folder 1: F32, vocab.txt + tokenizer_config.json, mean pooling, Normalize, max_seq_length 24
    # (the long text is cut), plus tensors podpower must ignore.
    d = os.path.join(out, "f32_mean")
    os.makedirs(os.path.join(d, "1_Pooling"), exist_ok=True)
    os.makedirs(os.path.join(d, "2_Normalize"), exist_ok=True)
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": HIDDEN,
              "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
              "intermediate_size": INTERMEDIATE, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
              "max_position_embeddings": MAX_POS, "type_vocab_size": 2, "vocab_size": len(tokens),
              "pad_token_id": 0, "position_embedding_type": "absolute"}
    json.dump(config, open(os.path.join(d, "config.json"), "w"))
    json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
              open(os.path.join(d, "modules.json"), "w"))
    json.dump({"max_seq_length": 24, "do_lower_case": False}, open(os.path.join(d, "sentence_bert_config.json"), "w"))
    json.dump({"word_embedding_dimension": HIDDEN, "pooling_mode_cls_token": False,
               "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
               "pooling_mode_mean_sqrt_len_tokens": False}, open(os.path.join(d, "1_Pooling", "config.json"), "w"))
    json.dump({"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None,
               "model_max_length": 512, "tokenizer_class": "BertTokenizer"},
              open(os.path.join(d, "tokenizer_config.json"), "w"))
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(tokens) + "\n")
    extra = [("embeddings.position_ids", torch.arange(MAX_POS, dtype=torch.int64)[None]),
             ("pooler.dense.weight", torch.randn(HIDDEN, HIDDEN)), ("pooler.dense.bias", torch.randn(HIDDEN))]
    write_safetensors(os.path.join(d, "model.safetensors"), list(state.items()) + extra)
    ids = [tokenize(t, vocab, 24) for t in TEXTS]
    expected["models"]["f32_mean"] = {
        "tokens": ids,
        "single": embed(model, [[i] for i in ids], "mean", True),
        "batched": embed(model, [ids], "mean", True)}

    # Folder 2: F16 weights with a "bert." prefix, tokenizer.json only, CLS pooling, no Normalize,
    # no sentence_bert_config.json (length limit from tokenizer_config.json: 32).
    half = TinyBert(len(tokens)).eval()
    half.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    d = os.path.join(out, "f16_cls")
    os.makedirs(os.path.join(d, "pool"), exist_ok=True)
    json.dump(config, open(os.path.join(d, "config.json"), "w"))
    json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "pool", "type": "sentence_transformers.models.Pooling"}],
              open(os.path.join(d, "modules.json"), "w"))
    json.dump({"word_embedding_dimension": HIDDEN, "pooling_mode_cls_token": True,
               "pooling_mode_mean_tokens": False}, open(os.path.join(d, "pool", "config.json"), "w"))
    json.dump({"do_lower_case": True, "model_max_length": 32}, open(os.path.join(d, "tokenizer_config.json"), "w"))
    special = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]]
    json.dump({"version": "1.0", "truncation": {"max_length": 8}, "padding": None, "added_tokens": special,
               "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                              "strip_accents": None, "lowercase": True},
               "pre_tokenizer": {"type": "BertPreTokenizer"},
               "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                         "max_input_chars_per_word": 100, "vocab": vocab}},
              open(os.path.join(d, "tokenizer.json"), "w"))
    write_safetensors(os.path.join(d, "model.safetensors"),
                      [("bert." + k, v.half()) for k, v in state.items()])
    ids = [tokenize(t, vocab, 32) for t in TEXTS]
    expected["models"]["f16_cls"] = {
        "tokens": ids,
        "single": embed(half, [[i] for i in ids], "cls", False),
        "batched": embed(half, [ids], "cls", False)}

    json.dump(expected, open(os.path.join(out, "expected.json"), "w"))


if __name__ == "__main__":
    main()
