"""Coding stage: answers -> segments, codings (rules, learnt model, humans) and expectations.

- :func:`code_responses` (:mod:`.engine`) - the whole stage on a responses table;
- :mod:`.rules` - the rule coder (codebook patterns matched on lemmas) and :mod:`.cues`
  (negation and expectation cues);
- :mod:`.expectations` - who expects what of whom (``from_role`` -> ``to_role``);
- :mod:`.learn` - the learning coder (scikit-learn estimators learnt from human coding);
- :mod:`.semantic` - the semantic coder (word vectors against the codebook's own words);
- :mod:`.combine` - human codings win; the review queue of what the machine did not decide;
- :mod:`.review` - the review loop: the queue as XLSX, the filled file back as human codings;
- :mod:`.codings` - the codings table, typed and sorted.
"""

from .codings import codings_table
from .combine import combine_codings, review_table, suggestions_table
from .cues import Cues, load_cues, parse_cues
from .engine import CodingResult, code_responses, human_codings_table
from .expectations import build_expectations, detect_expectations, question_roles
from .rules import DocAnalysis, Match, RuleCoder, rule_codings

# The learning and semantic coders (scikit-learn) and the review loop (openpyxl) are imported on
# first use: a worker process that only runs the rules (transitions_analysis.scale) then never
# loads scikit-learn and SciPy (about 60 MB each).
_LAZY = {
    **dict.fromkeys(("LearningCoder", "ThresholdedOneVsRest", "human_labels", "load_model", "save_model",
                     "train_from_human_coding", "training_table"), ".learn"),
    **dict.fromkeys(("read_review_xlsx", "review_codings", "write_review_xlsx"), ".review"),
    **dict.fromkeys(("SemanticCoder", "fit_from_human_coding", "load_semantic", "save_semantic"), ".semantic"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "CodingResult",
    "Cues",
    "DocAnalysis",
    "LearningCoder",
    "Match",
    "RuleCoder",
    "SemanticCoder",
    "ThresholdedOneVsRest",
    "build_expectations",
    "code_responses",
    "codings_table",
    "combine_codings",
    "detect_expectations",
    "fit_from_human_coding",
    "human_codings_table",
    "human_labels",
    "load_cues",
    "load_model",
    "load_semantic",
    "parse_cues",
    "question_roles",
    "read_review_xlsx",
    "review_codings",
    "review_table",
    "rule_codings",
    "save_model",
    "save_semantic",
    "suggestions_table",
    "train_from_human_coding",
    "training_table",
    "write_review_xlsx",
]
