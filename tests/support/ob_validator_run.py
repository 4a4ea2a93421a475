"""Run the 1EdTech Open Badges validator (PyPI `openbadges`) offline; executed by the Python 3.8
interpreter of `.venv-ob` (`make validator-venv`), through `tests/support/validator.py`.

    python ob_validator_run.py <contexts dir> <input>

`<input>` is a URL (a hosted assertion) or `@<path>` (a baked image file). Prints, as JSON on
stdout, `{"report": <the validator's report>, "documents": [...]}`: `documents` lists every
JSON document the validator read, in order, with the Open Badges version it detected for it
(`{"id", "type", "version"}`).

Every HTTP fetch the validator makes (JSON-LD contexts through its pyld document loader,
assertions, badge classes, profiles and images through its `requests` sessions) goes through
`requests.adapters.HTTPAdapter.send`, which is replaced here: the Open Badges JSON-LD contexts
are answered from the offline copies, requests to 127.0.0.1 / localhost (the local stack) go
out, and anything else fails as a connection error, so nothing leaves the machine.

Kept to Python 3.8 syntax.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

# Where verifiers dereference the contexts (the offline directory's README lists them).
CONTEXT_FILES = {
    "https://w3id.org/openbadges/v1": "v1.json",
    "https://w3id.org/openbadges/legacy-v1": "legacy-v1.json",
    "https://w3id.org/openbadges/v2": "v2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "v3p0-3.0.3.json",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.json",
}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def offline_send(contexts: Path, real_send):
    def send(adapter, request, *args, **kwargs):
        url = request.url.split("#", 1)[0]
        name = CONTEXT_FILES.get(url.rstrip("/")) or CONTEXT_FILES.get(url)
        if name is not None:
            response = requests.Response()
            response.status_code = 200
            response._content = (contexts / name).read_bytes()
            response.headers = CaseInsensitiveDict({"Content-Type": "application/ld+json"})
            response.url = request.url
            response.encoding = "utf-8"
            response.request = request
            response.connection = adapter
            return response
        if urlsplit(url).hostname not in LOCAL_HOSTS:
            raise requests.ConnectionError("offline: refused to fetch " + request.url)
        return real_send(adapter, request, *args, **kwargs)

    return send


def main(argv) -> int:
    contexts, target = Path(argv[1]), argv[2]
    real_send = requests.adapters.HTTPAdapter.send
    requests.adapters.HTTPAdapter.send = offline_send(contexts, real_send)

    from openbadges import verify  # after the patch: nothing is fetched at import, but be sure
    from openbadges.verifier.tasks import graph

    # The report's `openBadgesVersion` is the version of the last document read (the issuer
    # profile); record the version the validator detects for every JSON document it reads.
    detected = []
    detect = graph._detect_openbadges_version

    def detect_and_record(data):
        version = detect(data)
        detected.append({"id": data.get("id"), "type": data.get("type"), "version": version})
        return version

    graph._detect_openbadges_version = detect_and_record

    # No response cache (requests_cache's memory backend): every document fetched fresh.
    options = {"use_cache": False, "cache_backend": None}
    if target.startswith("@"):
        badge_input = io.BytesIO(Path(target[1:]).read_bytes())
        badge_input.name = target[1:]
        result = verify(badge_input, **options)
    else:
        result = verify(target, **options)
    json.dump({"report": result["report"], "documents": detected}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
