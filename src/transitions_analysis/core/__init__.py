"""The floor every stage stands on, and which imports no stage.

- :mod:`.schema` - the tables between stages, with their dtypes (pandera), and the code lists;
- :mod:`.io` - reading and writing tables and the coded folder; the ``data/raw/`` guard;
- :mod:`.cache` - the one on-disk cache; :mod:`.nlp` - spaCy, loaded by purpose;
- :mod:`.text` - text folding by purpose; :mod:`.labels` - every French label and number format;
- :mod:`.codebook`, :mod:`.roles` - the researcher-editable YAML files;
- :mod:`.errors` - every error message; :mod:`.ids` - deterministic identifiers.
"""
