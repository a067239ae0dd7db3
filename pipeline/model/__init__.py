"""The fallback classifier: a small scikit-learn model for entries the rules leave undecided.

Modules, in the order data flows through them:

* ``vocab``      - the phase/cause vocabulary read from ``rules/causes.yaml``.
* ``catalog``    - message templates and hand-written cases (YAML data next to this file), validated.
* ``generate``   - the deterministic training-set generator (``data/training/``).
* ``features``   - message normalisation and signal tokens, shared by training and inference.
* ``train``      - the estimator, grouped cross-validation, threshold choice, the model card.
* ``artifact``   - skops persistence with a checksum and an explicit trusted-type list.
* ``fallback``   - ``load_fallback()``: the object the classify stage calls.
* ``bench``      - inference throughput measurement (``python -m pipeline.model.bench``).
"""
