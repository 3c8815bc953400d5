"""Synthetic supplier invoices in the spirit of FATURA2, and the SAP rows that recorded them.

Each vendor prints with its own template (six layouts: classic, banner, German DIN-style,
minimal, sidebar and FATURA-style "LABEL : value"), its own number and date formats, and
long orders run to two or three pages. The label is in the target form of
``curator/schemas/invoice.schema.json``; RBKP/LFA1 rows are what SAP stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from curator.samples.fakes import PRODUCTS, Company, eu_company

LAYOUTS = ("classic", "banner", "german", "minimal", "sidebar", "fatura")
VAT_RATES = {"DE": 0.19, "AT": 0.20, "CH": 0.077, "FR": 0.20, "IT": 0.22, "NL": 0.21, "BE": 0.21, "PL": 0.23,
             "PT": 0.23}
CURRENCY = {"CH": "CHF", "PL": "PLN"}
BUYERS = {
    "1000": ("Curator Demo Manufacturing GmbH", "Werkstraße 12, 70173 Stuttgart"),
    "2000": ("Curator Demo Distribution B.V.", "Havenweg 4, 3011 Rotterdam"),
}


@dataclass(frozen=True)
class Vendor:
    number: str  # SAP LIFNR, zero-padded to 10 as SE16 shows it
    company: Company
    layout: str
    date_style: str
    number_style: str
    invoice_pattern: str


def make_vendors(rng: random.Random, count: int = 24) -> list[Vendor]:
    vendors = []
    date_styles = {"german": "de", "fatura": "iso"}
    for i in range(count):
        layout = LAYOUTS[i % len(LAYOUTS)]
        company = eu_company(rng)
        vendors.append(
            Vendor(
                number=f"{100000 + rng.randint(0, 89999):010d}",
                company=company,
                layout=layout,
                date_style=date_styles.get(layout, rng.choice(["de", "us", "iso", "long"])),
                number_style="de" if layout == "german" or company.country in {"DE", "AT", "IT", "PT", "PL"} and
                rng.random() < 0.6 else "en",
                invoice_pattern=rng.choice(["RE-{y}-{n:05d}", "INV/{yy}/{n:04d}", "{y}{n:05d}", "F-{n:06d}",
                                            "{n:07d}", "R{yy}-{n:04d}"]),
            )
        )
    return vendors


def _money(value: float) -> float:
    return round(value + 1e-9, 2)


def make_invoice_label(rng: random.Random, vendor: Vendor, company_code: str, serial: int,
                       year: int, long_order: bool) -> dict[str, Any]:
    issued = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
    count = rng.randint(22, 48) if long_order else rng.randint(1, 9)
    items = []
    for product, base in rng.sample(PRODUCTS, min(count, len(PRODUCTS))) + [
        rng.choice(PRODUCTS) for _ in range(max(0, count - len(PRODUCTS)))
    ]:
        quantity = float(rng.choice([1, 1, 2, 3, 4, 5, 6, 10, 12, 20, 25, 50]))
        unit = _money(base * rng.uniform(0.85, 1.25))
        items.append({"description": product, "quantity": quantity, "unit_price": unit,
                      "amount": _money(quantity * unit)})
    subtotal = _money(sum(item["amount"] for item in items))
    discount = _money(subtotal * rng.choice([0.02, 0.03, 0.05])) if rng.random() < 0.15 else None
    tax = _money((subtotal - (discount or 0)) * VAT_RATES[vendor.company.country])
    buyer_name, buyer_address = BUYERS[company_code]
    y2 = year % 100
    return {
        "invoice_number": vendor.invoice_pattern.format(y=year, yy=f"{y2:02d}", n=serial),
        "invoice_date": issued.isoformat(),
        "due_date": (issued + timedelta(days=rng.choice([14, 30, 30, 60]))).isoformat() if rng.random() < 0.8 else None,
        "po_number": f"45{rng.randint(0, 99999999):08d}" if rng.random() < 0.5 else None,
        "seller_name": vendor.company.name,
        "seller_address": vendor.company.address,
        "seller_vat_id": vendor.company.vat_id,
        "buyer_name": buyer_name,
        "buyer_address": buyer_address,
        "currency": CURRENCY.get(vendor.company.country, "EUR"),
        "subtotal": subtotal,
        "discount": discount,
        "tax": tax,
        "total": _money(subtotal - (discount or 0) + tax),
        "line_items": items,
    }


# -- formats ---------------------------------------------------------------------------------

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def format_date(iso: str, style: str) -> str:
    day = date.fromisoformat(iso)
    if style == "de":
        return day.strftime("%d.%m.%Y")
    if style == "us":
        return day.strftime("%m/%d/%Y")
    if style == "long":
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return day.isoformat()


def format_amount(value: float, style: str) -> str:
    text = f"{value:,.2f}"
    if style == "de":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def format_quantity(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


# -- rendering -------------------------------------------------------------------------------

@dataclass
class _Words:
    title: str
    number: str
    date: str
    due: str
    po: str
    bill_to: str
    description: str
    quantity: str
    unit_price: str
    amount: str
    subtotal: str
    discount: str
    tax: str
    total: str
    vat_id: str
    page: str


ENGLISH = _Words("INVOICE", "Invoice No.", "Invoice date", "Due date", "PO number", "Bill to", "Description", "Qty",
                 "Unit price", "Amount", "Subtotal", "Discount", "VAT", "Total", "VAT ID", "Page")
GERMAN = _Words("Rechnung", "Rechnungsnummer", "Rechnungsdatum", "Fällig am", "Bestellnummer", "Rechnungsempfänger",
                "Bezeichnung", "Menge", "Einzelpreis", "Betrag", "Zwischensumme", "Rabatt", "MwSt.", "Gesamtbetrag",
                "USt-IdNr.", "Seite")
FATURA = _Words("INVOICE", "NUMBER", "DATE", "DUE DATE", "PO", "BUYER", "ITEM", "QTY", "PRICE", "AMOUNT",
                "SUB_TOTAL", "DISCOUNT", "TAX", "TOTAL", "GST ID", "PAGE")

ROWS_PER_PAGE = 18


def render_invoice(path: str, label: dict[str, Any], vendor: Vendor) -> int:
    """Draw the invoice; returns the page count."""
    layout = vendor.layout
    words = GERMAN if layout == "german" else FATURA if layout == "fatura" else ENGLISH
    fmt_date = lambda iso: format_date(iso, vendor.date_style)  # noqa: E731
    fmt_amount = lambda v: format_amount(v, vendor.number_style)  # noqa: E731
    items = label["line_items"]
    chunks = [items[i:i + ROWS_PER_PAGE] for i in range(0, len(items), ROWS_PER_PAGE)] or [[]]
    canvas = Canvas(path, pagesize=A4, invariant=1)
    canvas.setTitle(f"{words.title} {label['invoice_number']}")
    width, height = A4
    for page_no, chunk in enumerate(chunks, start=1):
        if page_no == 1:
            top = _HEADERS[layout](canvas, label, vendor, words, fmt_date)
        else:
            canvas.setFont("Helvetica-Bold", 11)
            canvas.drawString(40, height - 50, label["seller_name"])
            canvas.setFont("Helvetica", 9)
            canvas.drawString(40, height - 64, f"{words.number} {label['invoice_number']} ({words.page} {page_no})")
            top = height - 90
        bottom = _items_table(canvas, chunk, words, fmt_amount, top, layout, label["currency"])
        if page_no == len(chunks):
            _totals(canvas, label, words, fmt_amount, bottom - 14, layout)
        else:
            canvas.setFont("Helvetica-Oblique", 8)
            canvas.drawString(40, bottom - 16, "continued on next page")
        _footer(canvas, label, words, page_no, len(chunks))
        canvas.showPage()
    canvas.save()
    return len(chunks)


def _header_classic(canvas: Canvas, label, vendor: Vendor, words: _Words, fmt_date) -> float:
    width, height = A4
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(40, height - 60, label["seller_name"])
    canvas.setFont("Helvetica", 9)
    canvas.drawString(40, height - 76, label["seller_address"])
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawRightString(width - 40, height - 60, words.title)
    _key_values(canvas, width - 230, height - 90, _meta(label, words, fmt_date), "Helvetica", 9)
    _bill_to(canvas, 40, height - 120, label, words)
    return height - 200


def _header_banner(canvas: Canvas, label, vendor: Vendor, words: _Words, fmt_date) -> float:
    width, height = A4
    canvas.setFillColor(colors.Color(0.12, 0.3, 0.55))
    canvas.rect(0, height - 90, width, 90, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(40, height - 50, label["seller_name"])
    canvas.setFont("Helvetica", 9)
    canvas.drawString(40, height - 68, label["seller_address"])
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawRightString(width - 40, height - 50, words.title)
    canvas.setFillColor(colors.black)
    _key_values(canvas, 40, height - 115, _meta(label, words, fmt_date), "Helvetica", 9)
    _bill_to(canvas, 330, height - 115, label, words)
    return height - 200


def _header_german(canvas: Canvas, label, vendor: Vendor, words: _Words, fmt_date) -> float:
    width, height = A4
    canvas.setFont("Times-Bold", 15)
    canvas.drawRightString(width - 40, height - 55, label["seller_name"])
    canvas.setFont("Times-Roman", 9)
    canvas.drawRightString(width - 40, height - 69, label["seller_address"])
    canvas.setFont("Times-Roman", 7)
    canvas.drawString(56, height - 128, f"{label['seller_name']} · {label['seller_address']}")
    canvas.setFont("Times-Roman", 10)
    canvas.drawString(56, height - 145, label["buyer_name"])
    canvas.drawString(56, height - 158, label["buyer_address"])
    _key_values(canvas, width - 230, height - 130, _meta(label, words, fmt_date), "Times-Roman", 9)
    canvas.setFont("Times-Bold", 14)
    canvas.drawString(56, height - 230, f"{words.title} {label['invoice_number']}")
    return height - 255


def _header_minimal(canvas: Canvas, label, vendor: Vendor, words: _Words, fmt_date) -> float:
    width, height = A4
    canvas.setFont("Courier-Bold", 13)
    canvas.drawCentredString(width / 2, height - 50, label["seller_name"].upper())
    canvas.setFont("Courier", 9)
    canvas.drawCentredString(width / 2, height - 64, label["seller_address"])
    canvas.drawCentredString(width / 2, height - 76, f"{words.vat_id}: {label['seller_vat_id']}")
    canvas.line(40, height - 86, width - 40, height - 86)
    _key_values(canvas, 40, height - 105, _meta(label, words, fmt_date), "Courier", 9, gap=120)
    canvas.setFont("Courier", 9)
    canvas.drawString(330, height - 105, f"{words.bill_to}: {label['buyer_name']}")
    canvas.drawString(330, height - 117, label["buyer_address"])
    return height - 180


def _header_sidebar(canvas: Canvas, label, vendor: Vendor, words: _Words, fmt_date) -> float:
    width, height = A4
    canvas.setFillColor(colors.Color(0.93, 0.93, 0.9))
    canvas.rect(0, 0, 150, height, stroke=0, fill=1)
    canvas.setFillColor(colors.Color(0.2, 0.2, 0.2))
    canvas.setFont("Helvetica-Bold", 10)
    for i, part in enumerate(label["seller_name"].split(" ")):
        canvas.drawString(16, height - 60 - i * 13, part)
    canvas.setFont("Helvetica", 8)
    for i, part in enumerate(label["seller_address"].split(", ")):
        canvas.drawString(16, height - 120 - i * 11, part)
    canvas.drawString(16, height - 150, f"{words.vat_id} {label['seller_vat_id']}")
    canvas.setFillColor(colors.black)
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawString(170, height - 60, words.title.title())
    _key_values(canvas, 170, height - 85, _meta(label, words, fmt_date), "Helvetica", 9)
    _bill_to(canvas, 390, height - 85, label, words)
    return height - 185


def _header_fatura(canvas: Canvas, label, vendor: Vendor, words: _Words, fmt_date) -> float:
    width, height = A4
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawCentredString(width / 2, height - 50, words.title)
    canvas.setFont("Helvetica", 9)
    lines = [f"SELLER : {label['seller_name']}", f"ADDRESS : {label['seller_address']}",
             f"{words.vat_id} : {label['seller_vat_id']}", f"{words.bill_to} : {label['buyer_name']}",
             f"{label['buyer_address']}"]
    for i, text in enumerate(lines):
        canvas.drawString(40, height - 85 - i * 12, text)
    for i, (key, value) in enumerate(_meta(label, words, fmt_date)):
        canvas.drawRightString(width - 40, height - 85 - i * 12, f"{key} : {value}")
    return height - 170


def _bill_to(canvas: Canvas, x: float, y: float, label, words: _Words) -> None:
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(x, y, words.bill_to)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(x, y - 13, label["buyer_name"])
    canvas.drawString(x, y - 25, label["buyer_address"])


_HEADERS = {"classic": _header_classic, "banner": _header_banner, "german": _header_german,
            "minimal": _header_minimal, "sidebar": _header_sidebar, "fatura": _header_fatura}


def _meta(label, words: _Words, fmt_date) -> list[tuple[str, str]]:
    rows = [(words.number, label["invoice_number"]), (words.date, fmt_date(label["invoice_date"]))]
    if label["due_date"]:
        rows.append((words.due, fmt_date(label["due_date"])))
    if label["po_number"]:
        rows.append((words.po, label["po_number"]))
    return rows


def _key_values(canvas: Canvas, x: float, y: float, rows, font: str, size: float, gap: float = 95) -> None:
    for i, (key, value) in enumerate(rows):
        canvas.setFont(font, size)
        canvas.drawString(x, y - i * 13, f"{key}:")
        canvas.drawString(x + gap, y - i * 13, value)


def _columns(layout: str) -> tuple[float, list[float]]:
    left = 170 if layout == "sidebar" else 40
    right = 555
    return left, [left, right - 190, right - 110, right]


def _items_table(canvas: Canvas, items, words: _Words, fmt_amount, top: float, layout: str, currency: str) -> float:
    left, cols = _columns(layout)
    font = "Courier" if layout == "minimal" else "Times-Roman" if layout == "german" else "Helvetica"
    if layout in {"banner", "sidebar"}:
        canvas.setFillColor(colors.Color(0.85, 0.88, 0.93))
        canvas.rect(left, top - 4, cols[-1] - left, 16, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
    canvas.setFont(font + ("-Bold" if font != "Times-Roman" else ""), 9)
    canvas.drawString(cols[0] + 2, top, words.description)
    canvas.drawRightString(cols[1] - 4, top, words.quantity)
    canvas.drawRightString(cols[2] - 4, top, words.unit_price)
    canvas.drawRightString(cols[3] - 2, top, f"{words.amount} ({currency})" if layout == "fatura" else words.amount)
    canvas.line(left, top - 6, cols[-1], top - 6)
    canvas.setFont(font, 9)
    y = top - 20
    for item in items:
        canvas.drawString(cols[0] + 2, y, item["description"])
        canvas.drawRightString(cols[1] - 4, y, format_quantity(item["quantity"]))
        canvas.drawRightString(cols[2] - 4, y, fmt_amount(item["unit_price"]))
        canvas.drawRightString(cols[3] - 2, y, fmt_amount(item["amount"]))
        y -= 15
    canvas.line(left, y + 8, cols[-1], y + 8)
    return y


def _totals(canvas: Canvas, label, words: _Words, fmt_amount, top: float, layout: str) -> None:
    _, cols = _columns(layout)
    currency = label["currency"]
    rows = [(words.subtotal, label["subtotal"])]
    if label["discount"]:
        rows.append((words.discount, -label["discount"]))
    rows += [(words.tax, label["tax"]), (words.total, label["total"])]
    for i, (key, value) in enumerate(rows):
        bold = key == words.total
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", 10 if bold else 9)
        y = top - i * 14
        if layout == "fatura":
            canvas.drawRightString(cols[3] - 2, y, f"{key} : {fmt_amount(value)} {currency}")
        else:
            canvas.drawString(cols[1] + 10, y, key)
            canvas.drawRightString(cols[3] - 2, y, f"{fmt_amount(value)} {currency}")


def _footer(canvas: Canvas, label, words: _Words, page_no: int, pages: int) -> None:
    width, _ = A4
    canvas.setFont("Helvetica", 7)
    canvas.drawString(40, 30, f"{label['seller_name']} · {label['seller_address']} · {words.vat_id} {label['seller_vat_id']}")
    canvas.drawRightString(width - 40, 30, f"{words.page} {page_no}/{pages}")


# -- what SAP stored -------------------------------------------------------------------------

def rbkp_row(label: dict[str, Any], vendor: Vendor, company_code: str, belnr: str, year: int,
             posted: date) -> dict[str, Any]:
    """An RBKP (invoice document header) row as SE16 exports it.

    SAP kept the vendor's number (XBLNR), dates, gross amount, tax and currency, but not
    line items (RSEG is not exported here), not the due date (it derives it from payment
    terms) and not a printed discount: those are gaps for the teacher to fill.
    """
    return {
        "BUKRS": company_code,
        "BELNR": belnr,
        "GJAHR": str(year),
        "XBLNR": label["invoice_number"],
        "LIFNR": vendor.number,
        "BLDAT": label["invoice_date"].replace("-", ""),
        "BUDAT": posted.strftime("%Y%m%d"),
        "WAERS": label["currency"],
        "RMWWR": label["total"],
        "WMWST1": label["tax"],
        "EBELN": label["po_number"] or "",
    }


def lfa1_row(vendor: Vendor) -> dict[str, Any]:
    company = vendor.company
    return {
        "LIFNR": vendor.number,
        "NAME1": company.name,
        "STRAS": company.street,
        "PSTLZ": company.postcode,
        "ORT01": company.city,
        "LAND1": company.country,
        "STCEG": company.vat_id,
    }


def rbkp_key(row: dict[str, Any]) -> str:
    return f"{row['BUKRS']}/{row['GJAHR']}/{row['BELNR']}"
