#!/usr/bin/env bash
# Rebuild the shipped bundles in models/ exactly as they were made: demo data from fixed seeds,
# the project's own `train`, then `evaluate` on held-out demo data from a seed never used in
# training. Takes about 25 minutes on 2 cores. Usage: bash scripts/train_shipped_models.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
EPOCHS=${EPOCHS:-40}

[ -f data/demo-train/labels.csv ] || $PY main.py demo-data data/demo-train --clips 400 --seed 0
[ -f data/demo-heldout/labels.csv ] || $PY main.py demo-data data/demo-heldout --clips 200 --seed 9001
[ -f resources/samples/labels.csv ] || $PY main.py demo-data resources/samples --clips 6 --seed 342

mkdir -p docs/evaluation
for arch in visual audio fusion attention; do
  $PY main.py train --data data/demo-train --arch "$arch" --out "models/$arch" --overwrite \
      --epochs "$EPOCHS" --seed 0
  $PY main.py evaluate --data data/demo-heldout --model "models/$arch" --json --record \
      > "docs/evaluation/$arch.json"
done
$PY scripts/accuracy_table.py docs/evaluation/{visual,audio,fusion,attention}.json
