"""ContainersFunction: systems, issuers, programs, consumer keys, health, and the 404 fallback.

Handlers are thin: resolve the path, call one domain function, shape the response.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit import config
from badgekit.domain import cascade, consumers, containers, render
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import current, param
from badgekit.http.pagination import envelope
from badgekit.store.containers import IssuerRecord, SystemRecord

health = Router()
systems = Router()
issuers = Router()
programs = Router()
consumer_keys = Router()


def the_system(slug: str) -> SystemRecord:
    return resolve.resolve(current(), slug).system


def the_issuer(system_slug: str, issuer_slug: str) -> tuple[SystemRecord, IssuerRecord]:
    place = resolve.resolve(current(), system_slug, issuer_slug)
    assert place.issuer is not None
    return place.system, place.issuer


# --- health (spec README §12) -----------------------------------------------------------------


@health.get("/")
def root() -> Response[str]:
    return respond({"app": config.APP_NAME, "version": config.version()})


@health.get("/healthcheck")
def healthcheck() -> Response[str]:
    return root()


# --- systems ----------------------------------------------------------------------------------


@systems.get("/systems")
def list_systems() -> Response[str]:
    request = current()
    request.require_master()
    page = request.page()
    items, total = containers.list_systems(page, request.base_url)
    return respond(envelope("systems", items, total, page))


@systems.post("/systems")
def create_system() -> Response[str]:
    request = current()
    request.require_master()
    item = containers.create(containers.system_level(), request.body)
    return respond(
        {"status": "created", "system": render.system_json(item, [], request.base_url)}, 201
    )


@systems.get("/systems/<systemSlug>")
def get_system(systemSlug: str) -> Response[str]:
    system = the_system(systemSlug)
    return respond({"system": containers.describe_system(system, current().base_url)})


@systems.put("/systems/<systemSlug>")
def update_system(systemSlug: str) -> Response[str]:
    updated = containers.update(containers.system_level(), the_system(systemSlug), current().body)
    return respond(
        {"status": "updated", "system": containers.describe_system(updated, current().base_url)}
    )


@systems.delete("/systems/<systemSlug>")
def delete_system(systemSlug: str) -> Response[str]:
    system = the_system(systemSlug)
    described = containers.describe_system(system, current().base_url)
    cascade.delete_system(system)
    return respond({"status": "deleted", "system": described})


# --- issuers ----------------------------------------------------------------------------------

ISSUERS = "/systems/<systemSlug>/issuers"


@issuers.get(ISSUERS)
def list_issuers(systemSlug: str) -> Response[str]:
    request = current()
    system = the_system(systemSlug)
    page = request.page()
    items, total = containers.list_issuers(system, page, request.base_url)
    return respond(envelope("issuers", items, total, page))


@issuers.post(ISSUERS)
def create_issuer(systemSlug: str) -> Response[str]:
    request = current()
    item = containers.create(containers.issuer_level(the_system(systemSlug)), request.body)
    return respond(
        {"status": "created", "issuer": render.issuer_json(item, [], request.base_url)}, 201
    )


@issuers.get(f"{ISSUERS}/<issuerSlug>")
def get_issuer(systemSlug: str, issuerSlug: str) -> Response[str]:
    system, issuer = the_issuer(systemSlug, issuerSlug)
    return respond({"issuer": containers.describe_issuer(system, issuer, current().base_url)})


@issuers.put(f"{ISSUERS}/<issuerSlug>")
def update_issuer(systemSlug: str, issuerSlug: str) -> Response[str]:
    system, issuer = the_issuer(systemSlug, issuerSlug)
    updated = containers.update(containers.issuer_level(system), issuer, current().body)
    described = containers.describe_issuer(system, updated, current().base_url)
    return respond({"status": "updated", "issuer": described})


@issuers.delete(f"{ISSUERS}/<issuerSlug>")
def delete_issuer(systemSlug: str, issuerSlug: str) -> Response[str]:
    system, issuer = the_issuer(systemSlug, issuerSlug)
    described = containers.describe_issuer(system, issuer, current().base_url)
    cascade.delete_issuer(system, issuer)
    return respond({"status": "deleted", "issuer": described})


# --- programs ---------------------------------------------------------------------------------

PROGRAMS = f"{ISSUERS}/<issuerSlug>/programs"


@programs.get(PROGRAMS)
def list_programs(systemSlug: str, issuerSlug: str) -> Response[str]:
    request = current()
    system, issuer = the_issuer(systemSlug, issuerSlug)
    page = request.page()
    items, total = containers.list_programs(system, issuer, page, request.base_url)
    return respond(envelope("programs", items, total, page))


@programs.post(PROGRAMS)
def create_program(systemSlug: str, issuerSlug: str) -> Response[str]:
    request = current()
    system, issuer = the_issuer(systemSlug, issuerSlug)
    item = containers.create(containers.program_level(system, issuer), request.body)
    return respond(
        {"status": "created", "program": render.program_json(item, request.base_url)}, 201
    )


@programs.get(f"{PROGRAMS}/<programSlug>")
def get_program(systemSlug: str, issuerSlug: str, programSlug: str) -> Response[str]:
    system, issuer = the_issuer(systemSlug, issuerSlug)
    program = containers.get_program(system, issuer, param(programSlug))
    return respond({"program": render.program_json(program, current().base_url)})


@programs.put(f"{PROGRAMS}/<programSlug>")
def update_program(systemSlug: str, issuerSlug: str, programSlug: str) -> Response[str]:
    system, issuer = the_issuer(systemSlug, issuerSlug)
    program = containers.get_program(system, issuer, param(programSlug))
    updated = containers.update(containers.program_level(system, issuer), program, current().body)
    return respond(
        {"status": "updated", "program": render.program_json(updated, current().base_url)}
    )


@programs.delete(f"{PROGRAMS}/<programSlug>")
def delete_program(systemSlug: str, issuerSlug: str, programSlug: str) -> Response[str]:
    system, issuer = the_issuer(systemSlug, issuerSlug)
    program = containers.get_program(system, issuer, param(programSlug))
    cascade.delete_program(system, issuer, program)
    return respond(
        {"status": "deleted", "program": render.program_json(program, current().base_url)}
    )


# --- consumer keys (master key only, spec README §13.1) ---------------------------------------

CONSUMERS = "/systems/<systemSlug>/consumers"


@consumer_keys.get(CONSUMERS)
def list_consumers(systemSlug: str) -> Response[str]:
    request = current()
    request.require_master()
    page = request.page()
    items, total = consumers.list_consumers(the_system(systemSlug), page)
    return respond(envelope("consumers", [render.consumer_json(c) for c in items], total, page))


@consumer_keys.post(CONSUMERS)
def create_consumer(systemSlug: str) -> Response[str]:
    request = current()
    request.require_master()
    item = consumers.create(the_system(systemSlug), request.body)
    return respond(
        {"status": "created", "consumer": render.consumer_json(item, with_secret=True)}, 201
    )


@consumer_keys.delete(f"{CONSUMERS}/<apiKey>")
def delete_consumer(systemSlug: str, apiKey: str) -> Response[str]:
    request = current()
    request.require_master()
    item = consumers.delete(the_system(systemSlug), param(apiKey))
    return respond({"status": "deleted", "consumer": render.consumer_json(item)})


lambda_handler = api.build_handler([health, systems, issuers, programs, consumer_keys])
