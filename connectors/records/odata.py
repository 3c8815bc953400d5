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
from urllib.parse import urlparse

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from connectors.records.base import Row, RowProblem

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


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key == "__metadata" or key.startswith("@odata."):
            continue
        if isinstance(value, dict):
            if "__deferred" in value:
                continue  # a navigation property that was not expanded
            value = [clean_row(v) for v in value["results"]] if "results" in value else clean_row(value)
        elif isinstance(value, list):
            value = [clean_row(v) if isinstance(v, dict) else convert_value(v) for v in value]
        out[key] = convert_value(value)
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
    ) -> None:
        self.url = url.rstrip("/")
        self.location = url
        self.name = name or self.url.rsplit("/", 1)[-1].lower()
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
        self.session = requests.Session()

    # -- what the records stage uses for delta pulls -----------------------------------------
    @property
    def bookmark(self) -> str | None:
        return f"odata:{self.name}:{self.delta_field}" if self.delta_field else None

    def _version(self) -> str:
        if self.version != "auto":
            return self.version
        return "2" if "/sap/opu/odata/" in self.url and "/odata4/" not in self.url else "4"

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"$format": "json"}
        filters = [self.filter] if self.filter else []
        if self.delta_field and self.since:
            literal = f"datetime'{self.since}'" if self._version() == "2" else self.since
            filters.append(f"{self.delta_field} gt {literal}")
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
                record = clean_row(row)
                if self.delta_field and record.get(self.delta_field):
                    stamp = str(record[self.delta_field])
                    self.max_seen = max(self.max_seen or stamp, stamp)
                yield Row(number, record)
            next_url, next_params = pager.next_url(body, url, params, len(page))
            if next_url and next_url != url and next_params is None:
                # A server-driven link already carries every query option.
                url, params = _absolute(next_url, self.url), None
            else:
                url, params = next_url, next_params

    # -- HTTP ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
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

    def _get(self, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        basic = (self.auth["username"], self.auth["password"]) if self.auth.get("type") == "basic" else None
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
                    try:
                        response = self.session.get(url, params=params, headers=self._headers(), auth=basic,
                                                    timeout=self.timeout)
                    except (requests.ConnectionError, requests.Timeout) as exc:
                        raise _Retryable(None, f"cannot reach the OData service at {_host(self.url)}: {exc}") from exc
                    if response.status_code == 401 and self.auth.get("type") == "oauth2" and not refreshed:
                        refreshed = True
                        self._access_token(refresh=True)
                        raise _Retryable(response, "token expired")
                    if response.status_code == 429 or response.status_code >= 500:
                        raise _Retryable(response, f"HTTP {response.status_code} from {_host(self.url)}")
        except _Retryable as exc:
            raise ODataError(f"{exc} (gave up after {self.max_attempts} attempts)") from None
        if response.status_code in (401, 403):
            raise ODataError(f"the OData service at {_host(self.url)} refused the credentials "
                             f"(HTTP {response.status_code}): check the user, password or client")
        if response.status_code == 404:
            raise ODataError(f"no such OData entity set: {self.url} (HTTP 404)")
        if response.status_code >= 400:
            raise ODataError(f"the OData service answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise ODataError(f"{self.url} did not answer with JSON: is it an OData service?") from None


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
