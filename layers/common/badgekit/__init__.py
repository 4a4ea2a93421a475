"""Shared BadgeKit package, in three layers whose imports point one way (docs/architecture.md):

- `http/`: the API Gateway edge (routing, request decoding, auth, error bodies, resolution of
  the URL's container);
- `domain/`: one module per resource (rules, validation, operations, rendering);
- `store/`: DynamoDB (keys, records, expressions, transactions, pages, the outbox, the queue).

The modules at this level (errors, config, timestamps, jsonutil, signing, tracing, logs,
metrics) depend on nothing of the package and are used by every layer.
"""

VERSION = "0.3.0"
