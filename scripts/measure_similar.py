"""How often find-similar's top K are seconds of the query's own class, on a labelled demo folder.

    python main.py demo-data /tmp/novel100 --clips 100 --seed 731 --class-set novel
    python scripts/measure_similar.py /tmp/novel100 [--top 20]

Every event second of the folder (labels.csv truth, not background) is a query; a match counts
as right when its true label is the query's. Reported for each search (both streams, sound,
picture), over the whole folder and with the query's own video left out (its neighbours are the
easy matches). Features come from the cache and are computed where missing, as `similar` does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.conventions import BACKGROUND  # noqa: E402
from annotator.core.feature_cache import FeatureCache  # noqa: E402
from annotator.ml.similarity import SEARCHES, library_embeddings, similarities, video_paths  # noqa: E402


def precision(library, truth: dict, queries, search: str, top: int, other_videos: bool):
    labels = np.array([truth.get(key, "") for key in library.keys])
    videos = np.array([video for video, _s in library.keys])
    shares = []
    for video, second in queries:
        scores, _used = similarities(library, video, [second], search)
        scores[library.rows_of(video, [second])] = np.nan
        if other_videos:
            scores[videos == video] = np.nan
        ranked = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")[:top]
        shares.append(float((labels[ranked] == truth[(video, second)]).mean()))
    return float(np.mean(shares)), float(np.min(shares))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    table = pd.read_csv(Path(args.folder) / "labels.csv")
    truth = {(v, int(s)): label for v, s, label in zip(table.video, table.second, table.label)}
    library = library_embeddings(video_paths(args.folder), FeatureCache(), compute=True)
    queries = [key for key in library.keys if truth.get(key, BACKGROUND) != BACKGROUND]
    classes = len({truth[q] for q in queries})
    print(
        f"{args.folder}: {len(library.keys)} seconds in {len({v for v, _ in library.keys})} "
        f"videos, {len(queries)} event seconds of {classes} classes as queries, top {args.top}"
    )
    print("search   same class in top K (mean, worst query)   query's own video left out")
    for search in SEARCHES:
        whole = precision(library, truth, queries, search, args.top, other_videos=False)
        others = precision(library, truth, queries, search, args.top, other_videos=True)
        print(
            f"{search:<8} {whole[0]:.3f} (worst {whole[1]:.2f}){'':21}"
            f"{others[0]:.3f} (worst {others[1]:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
