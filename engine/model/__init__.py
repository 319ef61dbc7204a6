"""The documents, as closed pydantic models: what users write and what the engine writes.

* ``rules``: the rule language (conditions, ``classify`` / ``deadline`` / ``periodic`` rules);
* ``commitment``: commitments and the treaty state (parties, parameters, key registry);
* ``records``: reports and the record kinds they carry (one model per kind);
* ``findings``: findings and the findings document; ``vocabulary``: statuses, flags, reasons;
* ``lint``: the lint catalogue and lint findings; ``keys``: signing keys and attestations;
* ``schema``: the published JSON Schemas, generated from these models;
* ``base``: the shared base model and the engine's version.

Models are data: no document is ever evaluated as code. This layer imports nothing of the engine
but ``engine.errors``; every other layer may import it.
"""
