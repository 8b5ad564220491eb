#!/usr/bin/env bash
# NLU report: 5-fold cross-validation of the pipeline in config.yml on data/nlu (with the
# lookups and synonyms), written to reports/nlu/; then, against one model trained on all the
# data, the held-out set tests/test_nlu.yml and the two evaluation sets of tests/nlu_eval/
# (colloquial in-domain messages; other services asked with this service's words).
# Fails when cross-validation macro F1 < 0.95 or an intent < 0.90; the evaluation sets'
# figures are printed beside their targets and do not fail the run yet.
#   scripts/evaluate.sh          everything (30-40 minutes: six NLU trainings)
#   scripts/evaluate.sh --quick  no cross-validation: one training, the three sets (~4 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
case "${1:-}" in
  --quick) quick=true ;;
  "") ;;
  *) echo "usage: scripts/evaluate.sh [--quick]" >&2; exit 2 ;;
esac
RASA=.venv-rasa/bin/rasa
out=reports/nlu
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
cp -r data/nlu data/lookups "$work/data/"
if ! $quick; then
  echo "==> 5-fold cross-validation (about five NLU trainings)"
  $RASA test nlu --nlu "$work/data" --config config.yml --cross-validation --folds 5 \
    --out "$out/cross-validation" --quiet
fi
echo "==> one model on all the data (kept in $out/model/ with the figures it gave)"
$RASA train nlu --nlu "$work/data" --config config.yml --out "$out/model" --fixed-model-name nlu --quiet
echo "==> held-out examples (tests/test_nlu.yml)"
$RASA test nlu --nlu tests/test_nlu.yml --model "$out/model/nlu.tar.gz" --out "$out/held-out" --quiet
echo "==> evaluation sets (tests/nlu_eval/: colloquial, other_services)"
# TensorFlow's start-up chatter goes to a log; shown only if the pass fails.
.venv-rasa/bin/python tests/nlu_eval/evaluate_sets.py --model "$out/model/nlu.tar.gz" --out "$out" \
  2>"$work/evaluation_sets.log" | tee "$out/evaluation_sets.txt" || { cat "$work/evaluation_sets.log" >&2; exit 1; }
.venv-rasa/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
failed = False
for name in ("cross-validation", "held-out"):
    if not (out / name).exists():
        print(f"{name}: skipped (--quick)")
        continue
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
print(f"reports in {out}/ (intent_report.json, confusion matrix intent_confusion_matrix.png; "
      "evaluation_sets.json for the two evaluation sets)")
sys.exit(1 if failed else 0)
PY
