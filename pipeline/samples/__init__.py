"""The bundled sample scenario (``data/samples/``) and the benchmark corpus generator.

``python -m pipeline.samples --out data/samples`` regenerates the samples deterministically;
``pipeline.samples.corpus.write_corpus`` writes a large realistic corpus for ``make bench``.
"""

from pipeline.samples.generate import SampleFile, generate, sample_files

__all__ = ["SampleFile", "generate", "sample_files"]
