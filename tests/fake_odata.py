"""A local fake of an S/4HANA supplier-invoice OData service, for the connector tests.

Serves the synthetic RBKP rows as ``A_SupplierInvoice`` in the V2 shape
(``/sap/opu/odata/sap/API_SUPPLIERINVOICE_PROCESS_SRV/A_SupplierInvoice``) and the V4 shape
(``/odata4/supplierinvoice/A_SupplierInvoice``), with server-driven paging ($skiptoken),
$top/$skip, $filter on ``LastChangeDateTime``, $select, basic auth and OAuth2 client
credentials, and injectable 429/503 answers.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

V2_PATH = "/sap/opu/odata/sap/API_SUPPLIERINVOICE_PROCESS_SRV/A_SupplierInvoice"
V4_PATH = "/odata4/supplierinvoice/A_SupplierInvoice"


def entity_from_rbkp(row: dict, changed: datetime) -> dict:
    bldat = datetime.strptime(row["BLDAT"], "%Y%m%d").date()  # Edm.DateTime in V2, Edm.Date in V4
    amount = row["RMWWR"].replace(".", "").replace(",", ".")
    return {
        "CompanyCode": row["BUKRS"], "FiscalYear": row["GJAHR"], "SupplierInvoice": row["BELNR"],
        "SupplierInvoiceIDByInvcgParty": row["XBLNR"], "InvoicingParty": row["LIFNR"],
        "DocumentDate": bldat, "DocumentCurrency": row["WAERS"], "InvoiceGrossAmount": amount,
        "LastChangeDateTime": changed,
    }


class FakeOData:
    def __init__(self, entities: list[dict], *, page_size: int = 25, username: str = "clerk",
                 password: str = "s3cret", client_id: str = "curator", client_secret: str = "shh") -> None:
        self.entities = entities
        self.page_size = page_size
        self.credentials = (username, password)
        self.client = (client_id, client_secret)
        self.tokens: set[str] = set()
        self.fail_next: list[int] = []  # status codes to answer before serving normally
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

            def _send(self, status: int, body: dict | str, headers: dict | None = None) -> None:
                data = body if isinstance(body, str) else json.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data.encode())

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
                if fake.fail_next:
                    status = fake.fail_next.pop(0)
                    return self._send(status, {"error": "try later"}, {"Retry-After": "0"} if status == 429 else None)
                header = self.headers.get("Authorization", "")
                authorised = self._basic() == fake.credentials or (
                    header.startswith("Bearer ") and header[7:] in fake.tokens)
                if not authorised:
                    return self._send(401, {"error": "unauthorised"})
                if url.path not in (V2_PATH, V4_PATH):
                    return self._send(404, {"error": "no such entity set"})
                version = "2" if url.path == V2_PATH else "4"
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                rows = fake._filtered(query.get("$filter"))
                skip = int(query.get("$skiptoken", query.get("$skip", 0)))
                top = int(query["$top"]) if "$top" in query else None
                count = top if top is not None else fake.page_size
                page = rows[skip: skip + count]
                if "$select" in query:
                    keep = query["$select"].split(",")
                    page = [{k: v for k, v in row.items() if k in keep} for row in page]
                page = [fake._render(row, version) for row in page]
                more = top is None and skip + count < len(rows)
                next_query = {k: v for k, v in query.items() if k not in ("$skiptoken", "$skip")}
                next_query["$skiptoken"] = skip + count
                next_link = f"{fake.base}{url.path}?{urlencode(next_query)}"
                if version == "2":
                    body = {"d": {"results": page, **({"__next": next_link} if more else {})}}
                else:
                    body = {"@odata.context": "$metadata#A_SupplierInvoice", "value": page,
                            **({"@odata.nextLink": next_link} if more else {})}
                self._send(200, body)

        return Handler

    def _filtered(self, expression: str | None) -> list[dict]:
        if not expression:
            return self.entities
        match = re.search(r"LastChangeDateTime gt (?:datetime')?([0-9T:\-.+Z]+)'?", expression)
        if not match:
            return self.entities
        since = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return [row for row in self.entities if row["LastChangeDateTime"] > since]

    @staticmethod
    def _render(row: dict, version: str) -> dict:
        out = {}
        for key, value in row.items():
            if isinstance(value, date) and not isinstance(value, datetime):
                midnight = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
                value = f"/Date({int(midnight.timestamp() * 1000)})/" if version == "2" else value.isoformat()
            elif isinstance(value, datetime):
                if version == "2":
                    value = f"/Date({int(value.timestamp() * 1000)})/"
                else:
                    value = value.isoformat().replace("+00:00", "Z")
            out[key] = value
        if version == "2":
            out["__metadata"] = {"type": "API_SUPPLIERINVOICE_PROCESS_SRV.A_SupplierInvoiceType"}
            out["to_SupplierInvoiceItem"] = {"__deferred": {"uri": "..."}}
        return out
