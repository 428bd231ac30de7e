"""Print the README's accuracy table from `evaluate --json` reports."""

import json
import sys


def _cell(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def main(paths) -> None:
    print("| model | per-second accuracy | event seconds | audio head | visual head "
          "| drop-out clips | audio dropped | visual dropped |")
    print("|---|---|---|---|---|---|---|---|")
    for path in paths:
        with open(path) as handle:
            report = json.load(handle)
        heads, dropout = report["heads"], report["dropout_clips"]
        print(f"| {report['model']} | {_cell(report['per_second_accuracy'])} "
              f"| {_cell(report['event_second_accuracy'])} "
              f"| {_cell(heads.get('audio'))} | {_cell(heads.get('visual'))} "
              f"| {_cell(dropout['per_second_accuracy'])} "
              f"| {_cell(dropout['by_stream'].get('audio'))} "
              f"| {_cell(dropout['by_stream'].get('visual'))} |")


if __name__ == "__main__":
    main(sys.argv[1:])
