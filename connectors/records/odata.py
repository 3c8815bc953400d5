"""SAP OData V2 and V4 entity sets as a record source.

Paging strategies are small siblings (as in dlt's paginators): each reads where the next
page is from a response and asks for it.

- :class:`V2NextPager`  -- ``{"d": {"results": [...], "__next": url}}`` (server-driven, $skiptoken)
- :class:`V4NextLinkPager` -- ``{"value": [...], "@odata.nextLink": url}``
- :class:`SkipPager` -- client-driven ``$top``/``$skip`` for services that do not page

>>> source = ODataSource("https://s4.example.com/sap/opu/odata/sap/API_SUPPLIERINVOICE_PROCESS_SRV/A_SupplierInvoice",
...                      auth={"type": "basic", "username": "U", "password": "P"}, select=["SupplierInvoice"])
>>> rows = list(source.records())

Retries with exponential back-off on 429 and 5xx (honouring ``Retry-After``) and on
connection errors; credentials that are refused give one clear error. ``/Date(ms)/``
values become ISO dates; decimal strings are kept exact for the mapping to parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from connectors.records.base import Row, RowProblem
from connectors.records.odata_metadata import (EntityType, MetadataError, ServiceMetadata, convert, filter_literal,
                                               parse_metadata)

_ODATA_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


class ODataError(ConnectionError):
    """The service cannot be used: unreachable, refusing the credentials, or not OData."""


class _Retryable(Exception):
    def __init__(self, response: requests.Response | None, message: str) -> None:
        super().__init__(message)
        self.response = response


def convert_value(value: Any) -> Any:
    """``/Date(1552608000000)/`` -> ``2019-03-15`` (or a full timestamp when it has a time)."""
    if isinstance(value, str):
        match = _ODATA_DATE.match(value)
        if match:
            moment = datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
            return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()
    return value


def clean_row(row: dict[str, Any], entity: EntityType | None = None) -> dict[str, Any]:
    """A row without OData's bookkeeping (``__metadata``, deferred links, annotations), every
    value converted by its EDM type when the metadata gives one; expanded navigation properties
    (``{"results": [...]}`` in V2, a list in V4) become lists of rows."""
    out = {}
    properties = entity.properties if entity is not None else {}
    for key, value in row.items():
        if key == "__metadata" or key.startswith("@odata.") or "@odata." in key:
            continue
        if isinstance(value, dict):
            if "__deferred" in value:
                continue  # a navigation property that was not expanded
            out[key] = [clean_row(v) for v in value["results"]] if "results" in value else clean_row(value)
        elif isinstance(value, list):
            out[key] = [clean_row(v) if isinstance(v, dict) else convert_value(v) for v in value]
        else:
            out[key] = convert(value, properties.get(key))
    return out


class V2NextPager:
    def rows(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        data = body.get("d", {})
        return data.get("results", []) if isinstance(data, dict) else data

    def next_url(self, body: dict[str, Any], current_url: str, params: dict[str, Any] | None, rows: int):
        data = body.get("d", {})
        return (data.get("__next") if isinstance(data, dict) else None), None


class V4NextLinkPager:
    def rows(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return body.get("value", [])

    def next_url(self, body, current_url, params, rows):
        return body.get("@odata.nextLink"), None


class SkipPager:
    """$top/$skip paging: ask for the next ``page_size`` rows until a short page comes back."""

    def __init__(self, inner, page_size: int) -> None:
        self.inner, self.page_size = inner, page_size

    def rows(self, body):
        return self.inner.rows(body)

    def next_url(self, body, current_url, params, rows):
        if rows < self.page_size:
            return None, None
        params = dict(params or {})
        params["$skip"] = int(params.get("$skip", 0)) + self.page_size
        return current_url, params


class ODataSource:
    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        version: str = "auto",
        paging: str = "server",
        page_size: int = 1000,
        filter: str | None = None,
        select: list[str] | None = None,
        expand: list[str] | None = None,
        auth: dict[str, str] | None = None,
        delta_field: str | None = None,
        since: str | None = None,
        timeout: float = 60.0,
        max_attempts: int = 6,
        backoff_seconds: float = 1.0,
        sap_client: str | None = None,
        key: list[str] | None = None,
    ) -> None:
        parsed = urlparse(url)
        query = dict(parse_qsl(parsed.query))
        # sap-client selects the SAP client: configuration, not part of the source's name or bookmark.
        self.sap_client = str(sap_client) if sap_client is not None else query.pop("sap-client", None)
        self.url = urlunparse(parsed._replace(query=urlencode(query))).rstrip("/").rstrip("?")
        self.location = self.url
        self.name = name or urlparse(self.url).path.rstrip("/").rsplit("/", 1)[-1].lower()
        self.configured_key = key
        self.version = version
        self.paging = paging
        self.page_size = page_size
        self.filter = filter
        self.select = select
        self.expand = expand
        self.auth = auth or {}
        self.delta_field = delta_field
        self.since = since
        self.max_seen: str | None = None
        self.warnings: list[str] = []
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self._token: str | None = None
        self._metadata: ServiceMetadata | None = None
        self._entity: EntityType | None = None
        self.session = requests.Session()

    # -- what the records stage uses for delta pulls -----------------------------------------
    @property
    def bookmark(self) -> str | None:
        return f"odata:{self.name}:{self.delta_field}" if self.delta_field else None

    def _version(self) -> str:
        if self.version != "auto":
            return self.version
        if self._metadata is not None:
            return self._metadata.version
        return "2" if "/sap/opu/odata/" in self.url and "/odata4/" not in self.url else "4"

    # -- what the service says about itself ----------------------------------------------------
    def metadata(self) -> ServiceMetadata | None:
        """The service's $metadata, fetched once; the entity set checked against it."""
        if self._metadata is not None:
            return self._metadata
        root, _, entity_set = self.url.rpartition("/")
        found = self._fetch_metadata(root)
        if found is None:
            as_root = self._fetch_metadata(self.url)
            if as_root is not None:
                raise ODataError(f"{self.url} is a service, not an entity set: add one of its entity sets to the "
                                 f"URL ({_listed(as_root)})")
            self.warnings.append(f"{self.url}: no $metadata found; values are converted without their EDM types "
                                 "and the version is guessed from the URL")
            return None
        if entity_set not in found.entity_sets:
            as_root = self._fetch_metadata(self.url) if not found.entity_sets else None
            sets = as_root or found
            raise ODataError(f"no entity set {entity_set!r} in the service {root}: it has {_listed(sets)}")
        self._metadata, self._entity = found, found.entity_sets[entity_set]
        return found

    def _fetch_metadata(self, root: str) -> ServiceMetadata | None:
        url = f"{root}/$metadata"
        params = {"sap-client": self.sap_client} if self.sap_client else None
        response = self._send(url, params, accept="application/xml")
        if response.status_code in (401, 403):
            raise ODataError(_refusal(response, url))
        if response.status_code >= 500 or response.status_code == 400:
            raise ODataError(f"the OData service answered HTTP {response.status_code} for {url}{_said(response)}")
        if response.status_code != 200 or b"Edmx" not in response.content[:2000]:
            return None
        try:
            return parse_metadata(response.content)
        except MetadataError as exc:
            raise ODataError(f"{url}: {exc}") from None

    def natural_key(self) -> list[str] | None:
        """The entity type's key from $metadata (``SupplierInvoice`` + ``FiscalYear``), unless configured."""
        if self.configured_key:
            return list(self.configured_key)
        self.metadata()
        return list(self._entity.key) if self._entity is not None else None

    def _delta_filter(self) -> str | None:
        if not (self.delta_field and self.since):
            return None
        prop = self._entity.properties.get(self.delta_field) if self._entity is not None else None
        if self._entity is not None and prop is None:
            raise ODataError(f"{self.delta_field!r} is not a property of {self._entity.name}: choose a change-date "
                             f"field it has ({', '.join(p for p, v in self._entity.properties.items() if 'Date' in v.type)})")
        # A date without a time of day cannot tell what came later the same day: take the whole
        # bookmark day again (ge); the records stage keeps only rows that are new or changed.
        if prop is not None and prop.date_only:
            return f"{self.delta_field} ge {filter_literal(self._version(), prop, self.since[:10])}"
        return f"{self.delta_field} gt {filter_literal(self._version(), prop, self.since)}"

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"$format": "json"}
        if self.sap_client:
            params["sap-client"] = self.sap_client
        delta = self._delta_filter()
        filters = [f for f in (self.filter, delta) if f]
        if filters:
            params["$filter"] = " and ".join(f"({f})" for f in filters) if len(filters) > 1 else filters[0]
        if self.select:
            params["$select"] = ",".join(self.select)
        if self.expand:
            params["$expand"] = ",".join(self.expand)
        if self.paging == "skip":
            params["$top"] = self.page_size
            params["$skip"] = 0
        return params

    def records(self) -> Iterator[Row | RowProblem]:
        self.metadata()
        inner = V2NextPager() if self._version() == "2" else V4NextLinkPager()
        pager = SkipPager(inner, self.page_size) if self.paging == "skip" else inner
        url, params = self.url, self._params()
        number = 0
        while url:
            body = self._get(url, params)
            page = pager.rows(body)
            for row in page:
                number += 1
                if not isinstance(row, dict):
                    yield RowProblem(self.location, number, f"not an entity: {str(row)[:80]}")
                    continue
                record = clean_row(row, self._entity)
                if self.delta_field and record.get(self.delta_field):
                    stamp = str(record[self.delta_field])
                    self.max_seen = max(self.max_seen or stamp, stamp)
                yield Row(number, record)
            next_url, next_params = pager.next_url(body, url, params, len(page))
            if next_url and next_url != url and next_params is None:
                # A server-driven link already carries every query option (sap-client is added if not).
                url = _absolute(next_url, self.url)
                params = {"sap-client": self.sap_client} if self.sap_client and "sap-client=" not in url else None
            else:
                url, params = next_url, next_params

    # -- HTTP ------------------------------------------------------------------------------
    def _basic(self):
        return (self.auth["username"], self.auth["password"]) if self.auth.get("type") == "basic" else None

    def _headers(self) -> dict[str, str]:
        # V4 sends decimals as JSON numbers unless asked for strings: ask, so amounts stay exact.
        headers = {"Accept": "application/json;IEEE754Compatible=true" if self._version() == "4" else "application/json"}
        if self.auth.get("type") == "oauth2":
            headers["Authorization"] = f"Bearer {self._access_token()}"
        return headers

    def _access_token(self, refresh: bool = False) -> str:
        if self._token and not refresh:
            return self._token
        try:
            response = self.session.post(
                self.auth["token_url"],
                data={"grant_type": "client_credentials", **({"scope": self.auth["scope"]} if self.auth.get("scope") else {})},
                auth=(self.auth["client_id"], self.auth["client_secret"]),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ODataError(f"cannot reach the OAuth2 token endpoint {self.auth.get('token_url')}: {exc}") from exc
        if response.status_code != 200 or "access_token" not in response.text:
            raise ODataError(f"the OAuth2 token endpoint refused the client credentials (HTTP {response.status_code})")
        self._token = response.json()["access_token"]
        return self._token

    def _send(self, url: str, params: dict[str, Any] | None, accept: str | None = None) -> requests.Response:
        """One request, retried with back-off while the service is busy (429, 502-504) or out of reach."""
        page = _page_url(url, params)
        refreshed = False
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=_wait_retry_after(self.backoff_seconds),
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    headers = self._headers()
                    if accept:
                        headers["Accept"] = accept
                    try:
                        response = self.session.get(url, params=params, headers=headers, auth=self._basic(),
                                                    timeout=self.timeout)
                    except (requests.ConnectionError, requests.Timeout) as exc:
                        raise _Retryable(None, f"cannot reach the OData service at {_host(self.url)}: {exc}") from exc
                    if response.status_code == 401 and self.auth.get("type") == "oauth2" and not refreshed:
                        refreshed = True
                        self._access_token(refresh=True)
                        raise _Retryable(response, "token expired")
                    # Throttling and an unavailable gateway pass; a 500 is SAP refusing the request.
                    if response.status_code in (429, 502, 503, 504):
                        raise _Retryable(response, f"HTTP {response.status_code} from {_host(self.url)}"
                                         + _said(response))
        except _Retryable as exc:
            raise ODataError(f"{exc} (gave up after {self.max_attempts} attempts; page {page})") from None
        return response

    def _get(self, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """One page; every failure is an ODataError naming that page and, when SAP says why, SAP's words."""
        page = _page_url(url, params)
        response = self._send(url, params)
        if response.status_code in (401, 403):
            raise ODataError(_refusal(response, page))
        if response.status_code == 404:
            raise ODataError(f"no such OData entity set: {self.url} (HTTP 404{_said(response)})")
        if response.status_code >= 400:
            raise ODataError(f"the OData service answered HTTP {response.status_code} for {page}{_said(response)}")
        text = response.text
        if "html" in response.headers.get("Content-Type", "").lower() or text.lstrip()[:1] == "<":
            raise ODataError(f"{page}: the service answered with an HTML page (a logon page?), not OData JSON; "
                             "rows before this page are kept")
        try:
            body = response.json()
        except ValueError as exc:
            raise ODataError(f"{page}: the answer is not valid JSON (cut short?): {exc}; rows before this page "
                             "are kept") from None
        if not isinstance(body, dict):
            raise ODataError(f"{page}: a bare JSON {type(body).__name__}, not an OData collection")
        if "error" in body:
            raise ODataError(f"{page}: the service answered HTTP {response.status_code} with an error: "
                             f"{_sap_message(body) or str(body['error'])[:200]}")
        return body


def _sap_message(body: Any) -> str | None:
    """SAP's own words from an error body (V2: error.message.value; V4: error.message)."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    message = error.get("message")
    text = message.get("value") if isinstance(message, dict) else message
    code = error.get("code")
    return f"{text} ({code})" if text and code else text


def _said(response: requests.Response) -> str:
    try:
        message = _sap_message(response.json())
    except ValueError:
        message = None
    return f": SAP says: {message}" if message else ""


def _refusal(response: requests.Response, page: str) -> str:
    if response.status_code == 401:
        return (f"the OData service at {_host(page)} refused the credentials (HTTP 401): check the user, "
                f"password or client{_said(response)}")
    return (f"the user may not read {page} (HTTP 403): the credentials are right, the authorisation for this "
            f"service is missing{_said(response)}")


def _page_url(url: str, params: dict[str, Any] | None) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _listed(metadata: ServiceMetadata) -> str:
    return ", ".join(sorted(metadata.entity_sets)) or "no entity sets"


def _wait_retry_after(base: float):
    exponential = wait_exponential(multiplier=base, max=60)

    def wait(retry_state) -> float:
        exc = retry_state.outcome.exception()
        response = getattr(exc, "response", None)
        if response is not None and response.headers.get("Retry-After", "").isdigit():
            return float(response.headers["Retry-After"])
        return exponential(retry_state)

    return wait


def _absolute(link: str, base: str) -> str:
    if link.startswith("http"):
        return link
    parsed = urlparse(base)
    if link.startswith("/"):
        return f"{parsed.scheme}://{parsed.netloc}{link}"
    return f"{base.rsplit('/', 1)[0]}/{link}"


def _host(url: str) -> str:
    return urlparse(url).netloc or url


__all__ = ["ODataError", "ODataSource", "SkipPager", "V2NextPager", "V4NextLinkPager", "clean_row", "convert_value"]
