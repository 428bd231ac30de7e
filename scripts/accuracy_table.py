"""Print the README's accuracy table from `evaluate --json` reports."""

import json
import sys


def main(paths) -> None:
    print("| model | per-second accuracy | event seconds | audio head | visual head "
          "| drop-out clips (audio dropped / visual dropped) |")
    print("|---|---|---|---|---|---|")
    for path in paths:
        report = json.load(open(path))
        heads = report["heads"]
        dropout = report["dropout_clips"]
        by_stream = dropout["by_stream"]
        print(f"| {report['model']} | {report['per_second_accuracy']:.3f} "
              f"| {report['event_second_accuracy']:.3f} "
              f"| {heads.get('audio', '—')} | {heads.get('visual', '—')} "
              f"| {dropout['per_second_accuracy']:.3f} ({by_stream.get('audio', '—')} / "
              f"{by_stream.get('visual', '—')}) |")


if __name__ == "__main__":
    main(sys.argv[1:])
