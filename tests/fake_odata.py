"""A loopback SAP gateway for the OData connector tests, following SAP's published formats.

``API_SUPPLIERINVOICE_PROCESS_SRV`` (V2) and a V4 supplier-invoice service, each with a
``$metadata`` EDMX generated here with the real property names and EDM types of
``A_SupplierInvoice`` (key SupplierInvoice + FiscalYear; dates ``Edm.DateTime`` marked
``sap:display-format="Date"``; ``InvoiceGrossAmount`` ``Edm.Decimal`` 14,3; no
``LastChangeDateTime`` in V2), the service root's entity-set list, server-driven paging
(``$skiptoken``), ``$top``/``$skip``, ``$select``, ``$filter`` parsed by the OData grammar of
each version (a V2 ``datetime'2020-01-02'`` without a time is HTTP 400, as SAP answers),
V4 decimals as JSON numbers unless ``IEEE754Compatible=true`` is asked, ``sap-client``, basic
auth and OAuth2, SAP error bodies, and injectable failures (HTTP statuses, an HTML logon page,
an error body with HTTP 200, a bare list, a truncated page).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import date, datetime, time, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

V2_SERVICE = "/sap/opu/odata/sap/API_SUPPLIERINVOICE_PROCESS_SRV"
V4_SERVICE = "/sap/opu/odata4/sap/api_supplierinvoice/srvd_a2x/sap/supplierinvoice/0001"
V2_ELSEWHERE = "/cap/v2/API_SUPPLIERINVOICE_PROCESS_SRV"  # a V2 service outside /sap/opu/odata (CAP)
V2_PATH = V2_SERVICE + "/A_SupplierInvoice"
V4_PATH = V4_SERVICE + "/A_SupplierInvoice"
# SAP's real properties of A_SupplierInvoice (a subset), name -> (V2 type, V4 type, facets)
PROPERTIES = {
    "SupplierInvoice": ("Edm.String", "Edm.String", 'MaxLength="10"'),
    "FiscalYear": ("Edm.String", "Edm.String", 'MaxLength="4"'),
    "CompanyCode": ("Edm.String", "Edm.String", 'MaxLength="4"'),
    "DocumentDate": ("Edm.DateTime", "Edm.Date", 'Precision="0" sap:display-format="Date"'),
    "PostingDate": ("Edm.DateTime", "Edm.Date", 'Precision="0" sap:display-format="Date"'),
    "CreationDate": ("Edm.DateTime", "Edm.Date", 'Precision="0" sap:display-format="Date"'),
    "SupplierInvoiceIDByInvcgParty": ("Edm.String", "Edm.String", 'MaxLength="16"'),
    "InvoicingParty": ("Edm.String", "Edm.String", 'MaxLength="10"'),
    "DocumentCurrency": ("Edm.String", "Edm.String", 'MaxLength="5"'),
    "InvoiceGrossAmount": ("Edm.Decimal", "Edm.Decimal", 'Precision="14" Scale="3"'),
    "SupplierVATRegistration": ("Edm.String", "Edm.String", 'MaxLength="20"'),
    "CreationTime": ("Edm.Time", "Edm.TimeOfDay", 'Precision="0"'),
}
V4_ONLY = {"LastChangeDateTime": "Edm.DateTimeOffset"}


def metadata_v2() -> str:
    props = "".join(f'<Property Name="{n}" Type="{v2}" Nullable="false" {facets}/>'
                    for n, (v2, _, facets) in PROPERTIES.items())
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
            'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
            'xmlns:sap="http://www.sap.com/Protocols/SAPData">'
            '<edmx:DataServices m:DataServiceVersion="2.0">'
            '<Schema Namespace="API_SUPPLIERINVOICE_PROCESS_SRV" xml:lang="en" sap:schema-version="1" '
            'xmlns="http://schemas.microsoft.com/ado/2008/09/edm">'
            '<EntityType Name="A_SupplierInvoiceType" sap:content-version="1">'
            '<Key><PropertyRef Name="SupplierInvoice"/><PropertyRef Name="FiscalYear"/></Key>'
            f'{props}'
            '<NavigationProperty Name="to_SuplrInvcItemPurOrdRef" '
            'Relationship="API_SUPPLIERINVOICE_PROCESS_SRV.assoc_1" FromRole="FromRole_1" ToRole="ToRole_1"/>'
            '</EntityType>'
            '<EntityType Name="A_SupplierInvoiceTaxType"><Key><PropertyRef Name="SupplierInvoice"/></Key>'
            '<Property Name="SupplierInvoice" Type="Edm.String" Nullable="false"/></EntityType>'
            '<EntityContainer Name="API_SUPPLIERINVOICE_PROCESS_SRV_Entities" m:IsDefaultEntityContainer="true">'
            '<EntitySet Name="A_SupplierInvoice" EntityType="API_SUPPLIERINVOICE_PROCESS_SRV.A_SupplierInvoiceType"/>'
            '<EntitySet Name="A_SupplierInvoiceTax" '
            'EntityType="API_SUPPLIERINVOICE_PROCESS_SRV.A_SupplierInvoiceTaxType"/>'
            '</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>')


def metadata_v4() -> str:
    props = "".join(f'<Property Name="{n}" Type="{v4}" Nullable="false"/>' for n, (_, v4, _) in PROPERTIES.items())
    props += "".join(f'<Property Name="{n}" Type="{t}" Precision="7"/>' for n, t in V4_ONLY.items())
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
            '<edmx:DataServices><Schema Namespace="com.sap.gateway.srvd_a2x.supplierinvoice.v0001" Alias="SAP__self" '
            'xmlns="http://docs.oasis-open.org/odata/ns/edm">'
            '<EntityType Name="A_SupplierInvoiceType">'
            '<Key><PropertyRef Name="SupplierInvoice"/><PropertyRef Name="FiscalYear"/></Key>'
            f'{props}</EntityType>'
            '<EntityContainer Name="Container">'
            '<EntitySet Name="A_SupplierInvoice" EntityType="SAP__self.A_SupplierInvoiceType"/>'
            '</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>')


def entity_from_rbkp(row: dict, created: date, changed: datetime | None = None) -> dict:
    """An A_SupplierInvoice entity as SAP holds it, from a synthetic RBKP row."""
    bldat = datetime.strptime(row["BLDAT"], "%Y%m%d").date()
    amount = Decimal(row["RMWWR"].replace(".", "").replace(",", ".")).quantize(Decimal("0.001"))
    return {"SupplierInvoice": row["BELNR"], "FiscalYear": row["GJAHR"], "CompanyCode": row["BUKRS"],
            "DocumentDate": bldat, "PostingDate": bldat, "CreationDate": created,
            "SupplierInvoiceIDByInvcgParty": row["XBLNR"], "InvoicingParty": row["LIFNR"],
            "DocumentCurrency": row["WAERS"], "InvoiceGrossAmount": amount, "SupplierVATRegistration": "",
            "CreationTime": time(9, 12, 44),
            "LastChangeDateTime": changed or datetime(created.year, created.month, created.day, 10, tzinfo=timezone.utc)}


class SapError(Exception):
    def __init__(self, status: int, message: str, code: str = "/IWBEP/CM_MGW_RT/022") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


_V2_DATETIME = re.compile(r"^datetime'(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)'$")
_V4_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_V4_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$")


class FakeOData:
    def __init__(self, entities: list[dict], *, page_size: int = 25, username: str = "clerk",
                 password: str = "s3cret", client_id: str = "curator", client_secret: str = "shh",
                 sap_client: str | None = None) -> None:
        self.entities = entities
        self.page_size = page_size
        self.credentials = (username, password)
        self.client = (client_id, client_secret)
        self.sap_client = sap_client  # when set, requests without this sap-client are refused
        self.forbidden = False  # right credentials, no authorisation for the service (HTTP 403)
        self.tokens: set[str] = set()
        self.fail_next: list[int] = []  # status codes to answer (with an SAP error body) before serving
        self.broken_pages: dict[int, str] = {}  # page index -> "html" | "error200" | "list" | "truncated"
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> "FakeOData":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict | list | str, headers: dict | None = None,
                      content_type: str = "application/json") -> None:
                data = body if isinstance(body, str) else json.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data.encode())

            def _error(self, error: SapError, version: str) -> None:
                message = {"lang": "en", "value": error.message} if version == "2" else error.message
                self._send(error.status, {"error": {"code": error.code, "message": message}})

            def do_POST(self):
                if urlparse(self.path).path != "/oauth/token":
                    return self._send(404, {"error": "not found"})
                if self._basic() != fake.client:
                    return self._send(401, {"error": "invalid_client"})
                token = f"tok-{len(fake.tokens) + 1}"
                fake.tokens.add(token)
                self._send(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

            def _basic(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user, password

            def do_GET(self):
                fake.requests.append(self.path)
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                version = "4" if url.path.startswith(V4_SERVICE) else "2"
                if fake.fail_next:
                    status = fake.fail_next.pop(0)
                    return self._send(status, {"error": {"code": "SY/530", "message": {
                        "lang": "en", "value": f"Service unavailable, try later ({status})"}}},
                        {"Retry-After": "0"} if status == 429 else None)
                header = self.headers.get("Authorization", "")
                authorised = self._basic() == fake.credentials or (
                    header.startswith("Bearer ") and header[7:] in fake.tokens)
                if not authorised:
                    return self._send(401, "<html><body>Logon failed</body></html>",
                                      {"WWW-Authenticate": 'Basic realm="SAP NetWeaver Application Server"'},
                                      content_type="text/html")
                if fake.forbidden:
                    return self._error(SapError(403, "No authorization to access service "
                                                     "API_SUPPLIERINVOICE_PROCESS_SRV", "/IWFND/CM_MGW/003"), version)
                if fake.sap_client and query.get("sap-client") != fake.sap_client:
                    return self._error(SapError(400, "Client is missing or not valid"), version)
                service = V4_SERVICE if version == "4" else \
                    V2_ELSEWHERE if url.path.startswith(V2_ELSEWHERE) else V2_SERVICE
                if url.path == service + "/$metadata":
                    return self._send(200, metadata_v4() if version == "4" else metadata_v2(),
                                      content_type="application/xml")
                if url.path in (service, service + "/"):
                    sets = ["A_SupplierInvoice"] if version == "4" else ["A_SupplierInvoice", "A_SupplierInvoiceTax"]
                    body = {"d": {"EntitySets": sets}} if version == "2" else {
                        "value": [{"name": s, "url": s} for s in sets]}
                    return self._send(200, body)
                if url.path != service + "/A_SupplierInvoice":
                    return self._error(SapError(404, f"Resource not found for segment '{url.path.rsplit('/', 1)[-1]}'",
                                                "/IWBEP/CM_MGW_RT/021"), version)
                try:
                    rows = fake._filtered(query.get("$filter"), version)
                except SapError as error:
                    return self._error(error, version)
                skip = int(query.get("$skiptoken", query.get("$skip", 0)))
                top = int(query["$top"]) if "$top" in query else None
                count = top if top is not None else fake.page_size
                index = skip // count if count else 0
                broken = fake.broken_pages.get(index)
                if broken == "html":
                    return self._send(200, "<html><head><title>Logon</title></head><body>SAML2</body></html>",
                                      content_type="text/html")
                if broken == "error200":
                    return self._error(SapError(200, "Internal error in the gateway hub"), version)
                if broken == "list":
                    return self._send(200, [{"SupplierInvoice": "1"}])
                page = rows[skip: skip + count]
                if "$select" in query:
                    keep = query["$select"].split(",")
                    page = [{k: v for k, v in row.items() if k in keep} for row in page]
                ieee = "IEEE754Compatible=true" in self.headers.get("Accept", "")
                expand = "to_SuplrInvcItemPurOrdRef" in query.get("$expand", "")
                page = [fake._render(row, version, ieee, expand) for row in page]
                more = top is None and skip + count < len(rows)
                next_query = {k: v for k, v in query.items() if k not in ("$skiptoken", "$skip")}
                next_query["$skiptoken"] = skip + count
                next_link = f"{fake.base}{url.path}?{urlencode(next_query)}"
                if version == "2":
                    body = {"d": {"results": page, **({"__next": next_link} if more else {})}}
                else:
                    body = {"@odata.context": "$metadata#A_SupplierInvoice", "value": page,
                            **({"@odata.nextLink": next_link.split(fake.base, 1)[1]} if more else {})}
                text = json.dumps(body)
                self._send(200, text[: len(text) // 2] if broken == "truncated" else text)

        return Handler

    def _filtered(self, expression: str | None, version: str) -> list[dict]:
        rows = sorted(self.entities, key=lambda r: (r["FiscalYear"], r["SupplierInvoice"]))
        if not expression:
            return rows
        match = re.fullmatch(r"\(?(\w+) (gt|ge) (.+?)\)?", expression.strip())
        if not match:
            raise SapError(400, f"Invalid filter expression: '{expression}'", "/IWBEP/CM_MGW_RT/004")
        field, op, literal = match.groups()
        if version == "2":
            parsed = _V2_DATETIME.match(literal)
            if not parsed:
                raise SapError(400, f"Invalid parametertype used at function '{op}' (Position: "
                                    f"{len(field) + len(op) + 2})", "/IWBEP/CM_MGW_RT/004")
            bound = datetime.fromisoformat(parsed.group(1)).replace(tzinfo=timezone.utc)
        elif _V4_DATE.match(literal):
            bound = datetime.fromisoformat(literal).replace(tzinfo=timezone.utc)
        elif _V4_OFFSET.match(literal):
            bound = datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", literal).replace("Z", "+00:00"))
        else:
            raise SapError(400, f"Invalid literal '{literal}'")

        def value(row):
            stamp = row[field]
            if isinstance(stamp, date) and not isinstance(stamp, datetime):
                stamp = datetime(stamp.year, stamp.month, stamp.day, tzinfo=timezone.utc)
            return stamp

        return [row for row in rows if (value(row) > bound if op == "gt" else value(row) >= bound)]

    @staticmethod
    def _render(row: dict, version: str, ieee: bool, expand: bool = False) -> dict:
        out = {}
        items = row.get("_items", [])
        for key, value in row.items():
            if key == "_items":
                continue
            if version == "2" and key in V4_ONLY:
                continue  # A_SupplierInvoice V2 has no LastChangeDateTime
            if isinstance(value, datetime):
                value = (f"/Date({int(value.timestamp() * 1000)})/" if version == "2"
                         else value.isoformat().replace("+00:00", ".1234567Z"))
            elif isinstance(value, date):
                midnight = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
                value = f"/Date({int(midnight.timestamp() * 1000)})/" if version == "2" else value.isoformat()
            elif isinstance(value, time):
                value = f"PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S" if version == "2" \
                    else value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value) if version == "2" or ieee else float(value)  # V4: a number unless asked
            out[key] = value
        rendered_items = [{**item, "__metadata": {"type": "A_SuplrInvcItemPurOrdRefType"}} if version == "2" else item
                          for item in items]
        if version == "2":
            out["__metadata"] = {"type": "API_SUPPLIERINVOICE_PROCESS_SRV.A_SupplierInvoiceType"}
            out["to_SuplrInvcItemPurOrdRef"] = {"results": rendered_items} if expand else {"__deferred": {"uri": "..."}}
        elif expand:
            out["to_SuplrInvcItemPurOrdRef"] = rendered_items
        return out
