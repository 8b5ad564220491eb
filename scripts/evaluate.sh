#!/usr/bin/env bash
# NLU report: 5-fold cross-validation of the pipeline in config.yml on data/nlu (with the
# lookups and synonyms), written to reports/nlu/; then the held-out set tests/test_nlu.yml
# against a model trained on all the data. Fails when macro F1 < 0.95 or an intent < 0.90.
set -euo pipefail
cd "$(dirname "$0")/.."
RASA=.venv-rasa/bin/rasa
out=reports/nlu
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
cp -r data/nlu data/lookups "$work/data/"
echo "==> 5-fold cross-validation (about five NLU trainings)"
$RASA test nlu --nlu "$work/data" --config config.yml --cross-validation --folds 5 \
  --out "$out/cross-validation" --quiet
echo "==> held-out examples (tests/test_nlu.yml)"
$RASA train nlu --nlu "$work/data" --config config.yml --out "$work/model" --fixed-model-name nlu --quiet
$RASA test nlu --nlu tests/test_nlu.yml --model "$work/model/nlu.tar.gz" --out "$out/held-out" --quiet
.venv-rasa/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
failed = False
for name in ("cross-validation", "held-out"):
    report = json.loads((out / name / "intent_report.json").read_text())
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "f1-score" in v
               and k not in ("macro avg", "weighted avg", "micro avg")}
    macro = report["macro avg"]["f1-score"]
    worst = sorted(intents.items(), key=lambda kv: kv[1]["f1-score"])[:3]
    print(f"{name}: macro F1 {macro:.3f}, weighted F1 {report['weighted avg']['f1-score']:.3f}, "
          "lowest: " + ", ".join(f"{k} {v['f1-score']:.3f}" for k, v in worst))
    if name == "cross-validation":
        low = [k for k, v in intents.items() if v["f1-score"] < 0.90]
        if macro < 0.95 or low:
            print(f"  below the bar (macro >= 0.95, every intent >= 0.90): {low}")
            failed = True
print(f"reports in {out}/ (intent_report.json, confusion matrix intent_confusion_matrix.png)")
sys.exit(1 if failed else 0)
PY
