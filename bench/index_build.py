"""How the whoosh index build grows with the number of documents, without a database: documents
made from the bundled bank's sentences (as quizbank/bank/synthetic.py makes them), built by
SearchIndex.rebuild; jieba's segmentation of the same text timed on its own as the reference.

    .venv/bin/python bench/index_build.py 2000 8000 [--profile]

Prints, for each N, the build's seconds, the segmentation's, and seconds per 1,000 documents.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import tempfile
import time
import types
from pathlib import Path

from common import django_in, machine


class _Tags:
    def __init__(self, names: list[str]):
        self.names = names

    def all(self):
        return [types.SimpleNamespace(name=n) for n in self.names]


def documents(n: int, corpus: tuple, seed: int = 0):
    titles, sentences, points, tags = corpus
    rng = random.Random(seed)
    for i in range(n):
        yield types.SimpleNamespace(
            id=f"q{i:06d}",
            question_set=types.SimpleNamespace(slug=f"set{i // 100:03d}"),
            difficulty="medium",
            title=rng.choice(titles),
            tags=_Tags(rng.sample(tags, 2)),
            key_points=[{"text": p} for p in rng.sample(points, 4)],
            body_md="",
            answer_md="".join(rng.choice(sentences) for _ in range(rng.randint(3, 6))),
            extended_md="\n".join(f"- {rng.choice(sentences)}" for _ in range(rng.randint(2, 5))),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(json.dumps(machine()))
    with tempfile.TemporaryDirectory() as tmp:
        django_in(Path(tmp))
        import jieba
        from django.conf import settings

        from quizbank.bank.search import SearchIndex, document, schema
        from quizbank.bank.synthetic import corpus

        jieba.initialize()
        words = corpus(str(settings.QUIZBANK_CONTENT_DIR))
        analyzer = schema()["body"].analyzer
        for n in args.sizes:
            started = time.perf_counter()
            for question in documents(n, words):
                fields = document(question)
                for name in ("title", "body"):
                    for _ in analyzer(fields[name]):
                        pass
            segmentation = time.perf_counter() - started
            index = SearchIndex(Path(tmp) / f"index-{n}")
            profiler = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            index.rebuild(documents(n, words))
            if profiler:
                profiler.disable()
            build = time.perf_counter() - started
            print(
                json.dumps(
                    {
                        "documents": n,
                        "build_s": round(build, 1),
                        "segmentation_s": round(segmentation, 1),
                        "build_s_per_1000": round(build * 1000 / n, 2),
                    }
                ),
                flush=True,
            )
            if profiler:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
