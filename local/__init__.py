"""The project's own local stack: `infra/template.yaml` served the way `sam local start-api` would.

Why it exists: `sam local` needs Docker, which the development and CI machines do not have. This
package reads the SAM template, starts an embedded DynamoDB (moto) with the template's table,
imports every function once (warm) and serves the template's API routes over HTTP with API
Gateway REST proxy events, plus DynamoDB Streams and SQS event sources (the template's queues
live in the same embedded moto server). It is never deployed.

Modules: `template` (reading the template), `routing` (API Gateway resource matching), `events`
(proxy and stream event shapes), `functions` (importing and invoking handlers), `dynamodb`
(embedded DynamoDB and the table), `streams` (stream polling), `queues` (SQS queues and their
polling), `polling` (the pollers' shared background loop), `gateway` (one request end to end),
`server` (HTTP), `state` (the data kept across restarts), `stack` (wiring it all), `services`
(`--services-only`: the embedded services and `local/env.json` for `sam local`), `sign` (a CLI
to sign requests).
"""
