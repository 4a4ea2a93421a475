"""`make bench`: handler time, client CPU and AWS cost (calls, sequential round trips) of every
endpoint of the containers, badges, public, claim codes, issuing, milestones, assessment and
webhooks functions, and of lists at scale; and the client CPU per request of the performance
issue's request mix, with DynamoDB in a separate process.

Why: the single-table design (docs/data-model.md) promises a fixed number of DynamoDB calls per
request, and list pages whose cost depends on the page rather than on the collection. Those
counts (and the S3 calls of stored images) are what this measures and what matters; the times
are the handler plus moto's in-process emulation, useful only to compare endpoints with each
other on one machine.

This is not a test: nothing asserts a speed. It fails loudly only for what is wrong at any
speed (a Scan on a request path, an unexpected status, a page of the wrong size, a badge list
making more calls than its page can justify, a single-item GET waiting on more than 2
sequential round trips), because the numbers
of such a run would be meaningless or a promise of the design would be broken.

Writes docs/benchmarks.md and prints the same tables; progress goes to stderr.
"""

# The package, by concern: `harness` (the in-process gateway, the DynamoDB and S3 call meter,
# fresh tables, timing and checking a scenario; `accounting`: its round trip and CPU arithmetic),
# `mix` (the request mix, moto in a child process), `against` (the same mix over HTTP against any
# running API, the server process's CPU read from /proc), `scenarios` (the per-endpoint fixtures
# and the requests of each row), `scale` (lists at scale and the bulk award at the limit),
# `report` (docs/benchmarks.md) and `__main__` (the command). The harness is imported first: it
# sets up the offline environment before any handler or `badgekit` module is imported.
from scripts.bench import harness as harness
