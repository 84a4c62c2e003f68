"""The analyze stage: article text -> companies, authorities, jurisdictions, dates and policy events.

The output shape is the public contract of ``../shared/spec/analysis.md``; ``schema.py`` models it.
"""

from pipeline.analyze.analyzer import Analyzer
from pipeline.analyze.jsonl import run_jsonl
from pipeline.analyze.model import load_nlp

__all__ = ["Analyzer", "load_nlp", "run_jsonl"]
