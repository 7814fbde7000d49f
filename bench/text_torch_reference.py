#!/usr/bin/python3
"""Reference for bench/text_bench.cc: PyTorch (Debian python3-torch, CPU, float32, inference mode)
running a BERT with MiniLM-L6 shapes (hidden 384, 6 layers, 12 heads, FFN 1536) on the same
token counts and batch sizes, so podpower's native sentences/s can be read next to torch's.
Prints: tokens batch threads sentences/s   (random weights; padding-free equal-length batches).
One thread only by default (torch's OpenMP threads spin badly on a shared 2-core machine);
--threads2 adds 2-thread rows."""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

H, LAYERS, HEADS, I, VOCAB, POS = 384, 6, 12, 1536, 30522, 512


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(H, 3 * H)
        self.out = nn.Linear(H, H)
        self.ln1 = nn.LayerNorm(H, eps=1e-12)
        self.ffn_in = nn.Linear(H, I)
        self.ffn_out = nn.Linear(I, H)
        self.ln2 = nn.LayerNorm(H, eps=1e-12)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, HEADS, H // HEADS).permute(2, 0, 3, 1, 4)
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // HEADS), dim=-1)
        x = self.ln1(self.out((p @ v).transpose(1, 2).reshape(b, t, H)) + x)
        return self.ln2(self.ffn_out(F.gelu(self.ffn_in(x))) + x)


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB, H)
        self.pos = nn.Embedding(POS, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])

    def forward(self, ids):
        x = self.ln(self.word(ids) + self.pos(torch.arange(ids.shape[1]))[None])
        for layer in self.layers:
            x = layer(x)
        return F.normalize(x.mean(1), dim=1)


def main():
    quick = "--quick" in sys.argv
    model = Bert().eval()
    print("torch %s reference (MiniLM-L6 shapes, random weights)" % torch.__version__)
    print("%7s %6s %8s %12s" % ("tokens", "batch", "threads", "sentences/s"))
    for tokens in (16, 64, 256):
        for batch in (1, 32):
            for threads in ((1, 2) if "--threads2" in sys.argv else (1,)):
                torch.set_num_threads(threads)
                count = max(32, (512 if quick else 4096) // tokens)
                ids = torch.randint(5, VOCAB, (count, tokens))
                with torch.inference_mode():
                    model(ids[:batch])  # warm-up
                    start = time.perf_counter()
                    for i in range(0, count, batch):
                        model(ids[i:i + batch])
                    rate = count / (time.perf_counter() - start)
                print("%7d %6d %8d %12.1f" % (tokens, batch, threads, rate), flush=True)


if __name__ == "__main__":
    main()
