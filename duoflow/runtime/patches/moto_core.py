"""moto's request handling (``pins.PINNED["moto"]``, 5.2.5): DynamoDB and SNS requests take turns; an action is
looked up by its name; moto's models are not kept for ever by the list moto keeps of every instance; an answer's
values are looked up under names built once.

Fix (always installed): ``DynamoHandler.call_action`` and ``SNSResponse.call_action`` (both inherited from
``BaseResponse`` in moto/core/responses.py; uninstall removes ours). moto's DynamoDB and SNS backends are plain
dicts without locks: a query iterating a table while another thread writes to it fails with "dictionary changed
size during iteration". AWS serves them concurrently; here their requests take turns on one lock (neither calls
back into Lambda, so one lock cannot deadlock). duoflow/runtime/keep_moto_data.py commits its after-images around
this lock.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``method_names_from_class`` in moto/core/responses.py. Every
request to moto lists the response class's methods (``inspect.getmembers``) to check that the action is one of
them; here the check looks up that one name.

Speed-up (memory; left out with ``DUOFLOW_SPEEDUPS=0``): ``BaseModel.__new__`` in moto/core/common_models.py. moto
appends every instance of every model class to a list on its class (``instances_tracked``), for its server's
dashboard (``/moto-api/data.json``, which the runtime does not serve) and for S3's reset, which closes the buffers
of every object and upload ever made. Nothing ever empties those lists while the runtime runs, so every model stays
in memory for good, including the ones nothing else holds: each item a Query or a Scan copies for its answer (a
status read through the API kept ~12 KiB for ever; a burst of applications ~12 KiB each), each stream record's
images. Here only S3's objects and uploads are recorded, the two lists moto reads (a test reads moto's source for
every reader of the lists). Written up for moto in docs/upstream/moto-instances-tracked.md.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``ResponseSerializer.get_value`` in moto/core/serialize.py. moto
writes an answer of the JSON and query protocols by walking the botocore model: for every member of every structure
it asks its attribute picker for the value, and the picker tries each name the value may be kept under, built anew
at each call from six alias providers (the object's ``Meta`` aliases, the shape's name, the key, the key less the
parent shape's or the object's class name, the model's wire name; each also in ``snake_case``). A Step Functions
history event has about sixty members, most of them absent, each tried under every name: two thirds of a
``GetExecutionHistory``'s time, and the console's execution page asks for one every second (90-100 ms for a
53-event history on a slow machine). For a plain dict (what moto's Step Functions answers are made of) those names
depend only on the key, the shape and its parent: here they are built once for each and kept, and the dict's item
is the one under the first name it has, as moto's lookup finds it. Anything else (another class of value, a picker
or alias list other than moto's default, an answer with response transformers: IAM, SNS, EC2…, a name that is a
dotted path) goes through moto's walk.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``Request.from_primitives`` in moto/core/request.py. Every request
a boto3 client makes in-process reaches moto as botocore's prepared request, which moto turns into a werkzeug request
with werkzeug's test ``EnvironBuilder``: a ``Headers`` object, a dozen properties read back and forth, the headers
copied twice, about a tenth of a GetItem's CPU. Here the same WSGI environ is written directly, step for step as the
builder writes it for these arguments, with werkzeug's own URL functions; a request the builder would treat another
way (a body given as a stream, a header that is not text or holds a newline, a form content type without a body)
goes through the builder.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``BotocoreStubber.process_request`` in moto/core/botocore_stubber.py.
For every in-process request moto finds the service by trying its ~200 services' URL patterns in turn, then gets
the service's backend and rebuilds its table of URLs (formatting each path with each base, S3's after reloading its
``urls`` module) and compiles each in turn until one matches: 5-10 % of a GetItem's CPU, the same answer
every time for the same URL. Here the route moto's search takes for a URL less its query string (the services it
tries, each with the handler it finds or none) is found once and kept, with the settings that change it (ISO
regions, S3's custom endpoints); each request still goes through moto's configuration checks (the URLs and services
passed through, the whitelist) along that route, and to the same handler. A URL no service serves goes through
moto's own search (a 404, or nothing). moto's search also makes the service's backend of the default account and
region when it looks its URLs up; a kept route has made it once, and after a reset of moto's backends the handler
makes the backends it serves, as it does for any other account or region.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``MotoRandom.get_random_string`` in moto/moto_api/_internal/
moto_random.py, which makes every answer's 52-character request id (and many of moto's resource ids): moto picks each
character with ``Random.choice`` (three Python calls a character: 2-3 % of a GetItem's CPU). Here the same draws are
made in one loop, ``getrandbits`` as ``choice`` calls it, so a seeded moto makes the same ids.

Guarded by tests/runtime/test_keep_moto_data.py and test_speedups.py.
"""

from __future__ import annotations

import string
import threading
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto",)

_TAKING_TURNS = (
    Target("moto.dynamodb.responses", "DynamoHandler.call_action"),
    Target("moto.sns.responses", "SNSResponse.call_action"),
)
_ACTION_LOOKUP = Target("moto.core.responses", "method_names_from_class")
_INSTANCE_TRACKING = Target("moto.core.common_models", "BaseModel.__new__")
_ATTRIBUTE_LOOKUP = Target("moto.core.serialize", "ResponseSerializer.get_value")
_REQUEST_FROM_PRIMITIVES = Target("moto.core.request", "Request.from_primitives")
_REQUEST_ROUTING = Target("moto.core.botocore_stubber", "BotocoreStubber.process_request")
_RANDOM_STRING = Target("moto.moto_api._internal.moto_random", "MotoRandom.get_random_string")
FIXES = _TAKING_TURNS
SPEEDUPS = (
    _ACTION_LOOKUP,
    _INSTANCE_TRACKING,
    _ATTRIBUTE_LOOKUP,
    _REQUEST_FROM_PRIMITIVES,
    _REQUEST_ROUTING,
    _RANDOM_STRING,
)
KEPT_NAME_LISTS = 20_000  # (picker, key, shape, parent) -> names; the models' shapes are few, and kept by moto
KEPT_ROUTES = 4_096  # URLs (less the query) -> handler: one per table, function, queue…; S3 keys are many
_NOT_KEPT: Any = object()

# The model classes whose instances moto reads back from ``instances_tracked`` (S3Backend.reset closes their buffers)
STILL_TRACKED = frozenset({("moto.s3.models", "FakeKey"), ("moto.s3.models", "FakeMultipart")})

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    lock = threading.RLock()
    for target in _TAKING_TURNS:
        unlocked = getattr(target.owner(), target.name)

        def call_action(self: Any, _unlocked: Any = unlocked) -> Any:
            with lock:
                return _unlocked(self)

        _patcher.replace(target, call_action)
    if speedups:
        _patcher.replace(_ACTION_LOOKUP, _FunctionNames)
        _patcher.replace(_INSTANCE_TRACKING, _recording_only_what_moto_reads(_INSTANCE_TRACKING.owner()))
        _patcher.replace(_ATTRIBUTE_LOOKUP, _value_under_kept_names(_ATTRIBUTE_LOOKUP.owner().get_value))
        stock = _REQUEST_FROM_PRIMITIVES.owner().from_primitives.__func__
        _patcher.replace(_REQUEST_FROM_PRIMITIVES, classmethod(_request_built_directly(stock)))
        _patcher.replace(_REQUEST_ROUTING, _routed_by_kept_handlers(_REQUEST_ROUTING.owner().process_request))
        _patcher.replace(_RANDOM_STRING, _random_string_in_one_loop)
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


class _FunctionNames:
    """What moto's ``method_names_from_class`` answers, for the one question moto asks of it: is ``name`` a
    function of the class (its own or inherited)?"""

    def __init__(self, cls: type) -> None:
        self._cls = cls

    def __contains__(self, name: object) -> bool:
        import inspect

        return isinstance(name, str) and inspect.isfunction(getattr(self._cls, name, None))


def _recording_only_what_moto_reads(base_model: type) -> Any:
    """moto's ``BaseModel.__new__``, recording the instance only where moto reads it back."""

    def new_model(cls: type, *args: Any, **kwargs: Any) -> Any:
        instance = super(base_model, cls).__new__(cls)
        if (cls.__module__, cls.__name__) in STILL_TRACKED:
            cls.instances_tracked.append(instance)  # type: ignore[attr-defined]
        return instance

    return new_model


def _value_under_kept_names(walk: Any) -> Any:
    """moto's ``ResponseSerializer.get_value`` (``walk``) for a plain dict under moto's default picker, with the names
    the value may be kept under built once for each (key, shape, shape's parent)."""
    from moto.core.serialize import (
        DEFAULT_ALIAS_PROVIDERS,
        AttributePicker,
        AttributePickerContext,
        XFormedAttributePicker,
    )

    kept: dict[tuple[Any, ...], tuple[str, ...] | None] = {}  # None: a name is a dotted path, which moto walks

    def get_value(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        if (
            type(value) is not dict
            or type(picker) not in (AttributePicker, XFormedAttributePicker)
            or picker.alias_providers is not DEFAULT_ALIAS_PROVIDERS
            or picker.response_transformers
        ):
            return walk(self, value, key, shape)
        which = (type(picker), key, shape, getattr(shape, "parent", None))
        names = kept.get(which, _NOT_KEPT)  # one lookup: another thread may clear the dict in between two
        if names is _NOT_KEPT:
            names = tuple(picker.get_possible_keys(AttributePickerContext(obj=value, key=key, shape=shape)))
            if any("." in name for name in names):
                names = None
            if len(kept) >= KEPT_NAME_LISTS:
                kept.clear()
            kept[which] = names
        if names is None:
            return walk(self, value, key, shape)
        for name in names:  # moto's lookup in a dict: the item under the first name it has, or nothing
            if name in value:
                return value[name]
        return None

    return get_value


# The content types whose requests werkzeug's EnvironBuilder gives a form body of its own when they have none
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _request_built_directly(stock: Any) -> Any:
    """moto's ``Request.from_primitives`` (``stock``), with the WSGI environ werkzeug's ``EnvironBuilder(method=,
    base_url=, path=, query_string=, data=, headers=).get_environ()`` makes written directly (werkzeug/test.py: the
    builder's ``__init__``, its ``base_url`` setter, ``get_environ``; tests/runtime/test_speedups.py compares the
    two on real requests)."""
    import re
    import sys
    from io import BytesIO
    from urllib.parse import unquote, urlparse, urlsplit

    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        AwsChunkedWrapper,
        environ_key_for_header,
        should_preserve_original_header_name,
    )
    from werkzeug._internal import _wsgi_encoding_dance as dance
    from werkzeug.test import EnvironBuilder
    from werkzeug.urls import iri_to_uri

    newline = re.compile(r"[\r\n]")  # werkzeug's Headers refuse such a value (ValueError): the builder says so

    def from_primitives(cls: Any, method: str, url: str, headers: Any, body: Any = None) -> Any:
        if isinstance(body, AwsChunkedWrapper):
            body = body.read()
        header_items = [
            (key, value.decode("utf-8") if isinstance(value, bytes) else value)
            for key, value in headers.items()
            if key.lower() not in ["transfer-encoding"]
        ]
        content_type = next((value for key, value in header_items if key.lower() == "content-type"), None)
        if (
            not isinstance(body, bytes | str | None)
            or any(not isinstance(value, str) or newline.search(value) for _, value in header_items)
            or (not body and content_type is not None and content_type.partition(";")[0].strip() in _FORM_TYPES)
        ):
            return stock(cls, method, url, headers, body)
        data = body.encode() if isinstance(body, str) else body or b""
        parsed_url = urlparse(url)
        scheme, host, script_root, _, _ = urlsplit(iri_to_uri(f"{parsed_url.scheme}://{parsed_url.netloc}"))
        server_name, has_port, port = host.partition(":")
        server_port = 443 if scheme == "https" else 80
        if has_port:
            try:
                server_port = int(port)
            except ValueError:
                pass
        raw_uri = dance(parsed_url.path)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": dance(unquote(script_root.rstrip("/"))),
            "PATH_INFO": dance(unquote(iri_to_uri(urlsplit(parsed_url.path).path))),
            "QUERY_STRING": dance(parsed_url.query),
            "REQUEST_URI": raw_uri,
            "RAW_URI": raw_uri,
            "SERVER_NAME": server_name,
            "SERVER_PORT": str(server_port),
            "HTTP_HOST": host,
            "SERVER_PROTOCOL": EnvironBuilder.server_protocol,
            "wsgi.version": EnvironBuilder.wsgi_version,
            "wsgi.url_scheme": scheme,
            "wsgi.input": BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if data:
            environ["CONTENT_LENGTH"] = str(len(data))
        combined: dict[str, list[str]] = {}
        for key, value in header_items:
            if key.lower() not in ("content-type", "content-length"):
                combined.setdefault(f"HTTP_{key.upper().replace('-', '_')}", []).append(value)
        for key, values in combined.items():
            environ[key] = ", ".join(values)
        request = cls(environ)
        # as moto's from_primitives goes on
        request.environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {
            environ_key_for_header(key): key for key, _ in header_items if should_preserve_original_header_name(key)
        }
        request.environ.setdefault("CONTENT_LENGTH", "0")
        return request

    return from_primitives


def route_moto_finds(clean_url: str) -> tuple[tuple[str, Any], ...]:
    """The services whose URL pattern matches ``clean_url`` (scheme, host and path), in the order moto's
    ``BotocoreStubber.process_request`` tries them (moto/core/botocore_stubber.py, its loop over
    ``backend_url_patterns``), each with the handler among its backend's URLs that moto sends the request to, None
    for a service that has none; up to the first that has one. Empty when no service serves the URL."""
    import re

    import moto.backends as backends
    from moto import backend_index
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.base_backend import BackendDict

    route: list[tuple[str, Any]] = []
    for service, pattern in backend_index.backend_url_patterns:
        if pattern.match(clean_url):
            backend_dict = backends.get_backend(service)
            if isinstance(backend_dict, BackendDict):
                if "us-east-1" in backend_dict[DEFAULT_ACCOUNT_ID]:
                    backend = backend_dict[DEFAULT_ACCOUNT_ID]["us-east-1"]
                else:
                    backend = backend_dict[DEFAULT_ACCOUNT_ID]["aws"]
            else:
                backend = backend_dict["global"]
            handler = next((handler for url, handler in backend.urls.items() if re.compile(url).match(clean_url)), None)
            route.append((service, handler))
            if handler is not None:
                break
    return tuple(route)


def _routed_by_kept_handlers(search: Any) -> Any:
    """moto's ``BotocoreStubber.process_request`` (``search``), with the route for each URL found once."""
    from moto.core import botocore_stubber as stubber
    from moto.core.exceptions import HTTPException
    from moto.moto_api import recorder  # moto imports it per request (a cycle at its own import time); here once
    from moto.settings import enable_iso_regions, get_s3_custom_endpoints

    kept: dict[tuple[Any, ...], tuple[tuple[str, Any], ...]] = {}

    def process_request(self: Any, request: Any) -> Any:
        parsed_url, _ = stubber.get_equivalent_url_in_aws_domain(request.url)
        clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
        if stubber.passthrough_url(clean_url):
            return None
        which = (clean_url, enable_iso_regions(), tuple(get_s3_custom_endpoints()))
        route = kept.get(which)  # one lookup: another thread may clear the dict in between two
        if route is None:
            route = route_moto_finds(clean_url)
            if len(kept) >= KEPT_ROUTES:
                kept.clear()
            kept[which] = route
        # as moto's loop goes, for the services it would try
        for service, handler in route:
            if stubber.passthrough_service(service):
                return None
            if not stubber.service_whitelisted(service):
                raise stubber.ServiceNotWhitelisted(service)
            if handler is not None:
                normalized_request = stubber.normalize_request(request)
                try:
                    recorder._record_request(normalized_request)
                    status, headers, body = handler(
                        normalized_request, normalized_request.raw_url, normalized_request.headers
                    )
                except HTTPException as e:
                    status = e.code
                    headers = e.get_headers()
                    body = e.get_body()
                return status, headers, body
        return search(self, request)  # no service serves it: moto's answer (a 404 for an AWS URL, or None)

    process_request.routes = kept  # type: ignore[attr-defined]  # for tests/runtime/test_speedups.py
    return process_request


def _random_string_in_one_loop(
    self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False
) -> str:
    """moto's ``MotoRandom.get_random_string``, with ``Random.choice``'s draws (``_randbelow_with_getrandbits``: the
    fewest bits that hold the pool's size, drawn again while they point past it) made in one loop."""
    pool = string.ascii_letters + (string.digits if include_digits else "")
    size, bits, getrandbits = len(pool), len(pool).bit_length(), self.getrandbits
    chosen = []
    for _ in range(length):
        index = getrandbits(bits)
        while index >= size:
            index = getrandbits(bits)
        chosen.append(pool[index])
    random_str = "".join(chosen)
    return random_str.lower() if lower_case else random_str
