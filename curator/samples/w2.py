"""Synthetic W-2 forms in the spirit of the public Fake W-2 data set.

Every one of the 45 boxes is filled or left blank as real forms are, years 2016-2019, in
four visual variants. The label (the truth) is in the nested target form of
``curator/schemas/w2.schema.json``; the payroll row is what the payroll system stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from curator.samples.fakes import LOCALITIES, NO_INCOME_TAX, Person, fake_ein, fake_ssn, us_person

YEARS = (2016, 2017, 2018, 2019)
SS_WAGE_BASE = {2016: 118_500, 2017: 127_200, 2018: 128_400, 2019: 132_900}
VARIANTS = ("irs", "red", "provider", "two_up")
BOX12_CODES = [("D", 0.03, 0.09), ("DD", 0.04, 0.12), ("W", 0.01, 0.03), ("C", 0.001, 0.004), ("E", 0.02, 0.05),
               ("AA", 0.02, 0.06), ("P", 0.005, 0.02)]


@dataclass(frozen=True)
class Employer:
    ein: str
    name: str
    street: str
    city_state_zip: str
    state: str
    state_id: str


@dataclass(frozen=True)
class Employee:
    employee_id: str
    ssn: str
    person: Person


def make_employers(rng: random.Random, count: int = 3) -> list[Employer]:
    stems = ["Keystone Foods", "Meridian Health Partners", "Granite Logistics", "Lumen Software", "Pioneer Retail"]
    employers = []
    for stem in rng.sample(stems, count):
        person = us_person(rng)
        employers.append(
            Employer(
                ein=fake_ein(rng),
                name=f"{stem} {rng.choice(['Inc.', 'LLC', 'Corp.'])}",
                street=person.street,
                city_state_zip=person.city_state_zip,
                state=person.state,
                state_id=f"{rng.randint(100, 999)}-{rng.randint(10000, 99999)}-{rng.randint(1, 9)}",
            )
        )
    return employers


def make_employees(rng: random.Random, count: int) -> list[Employee]:
    return [Employee(employee_id=f"E{10000 + i:05d}", ssn=fake_ssn(rng), person=us_person(rng)) for i in range(count)]


def _money(value: float) -> float:
    return round(value + 1e-9, 2)


def make_w2_label(rng: random.Random, employee: Employee, employer: Employer, year: int) -> dict[str, Any]:
    gross = rng.uniform(18_000, 185_000)
    box12 = []
    for code, low, high in rng.sample(BOX12_CODES, rng.choice([0, 1, 1, 2, 2, 3, 4])):
        box12.append({"code": code, "amount": _money(gross * rng.uniform(low, high))})
    deferral = sum(item["amount"] for item in box12 if item["code"] in {"D", "E", "AA"})
    wages = _money(gross - deferral)
    ss_wages = _money(min(gross, SS_WAGE_BASE[year]))
    tips = _money(rng.uniform(800, 9000)) if rng.random() < 0.06 else None
    person = employee.person
    states = _state_rows(rng, employer, person, wages, year)
    return {
        "taxYear": year,
        "employee": {
            "ssn": employee.ssn,
            "name": person.full_name,
            "address": person.street,
            "cityStateZip": person.city_state_zip,
        },
        "employer": {
            "ein": employer.ein,
            "name": employer.name,
            "address": employer.street,
            "cityStateZip": employer.city_state_zip,
            "controlNumber": f"{rng.choice('ABCDEFGH')}{rng.randint(1000, 99999)}" if rng.random() < 0.45 else None,
        },
        "earnings": {
            "wages": wages,
            "federalIncomeTaxWithheld": _money(wages * rng.uniform(0.07, 0.22)),
            "socialSecurityWages": ss_wages,
            "socialSecurityTaxWithheld": _money(ss_wages * 0.062),
            "medicareWages": _money(gross),
            "medicareTaxWithheld": _money(gross * 0.0145),
            "socialSecurityTips": tips,
            "allocatedTips": _money(rng.uniform(100, 2000)) if tips and rng.random() < 0.3 else None,
        },
        "benefits": {
            "dependentCareBenefits": _money(rng.uniform(500, 5000)) if rng.random() < 0.1 else None,
            "nonqualifiedPlans": _money(rng.uniform(1000, 20000)) if rng.random() < 0.05 else None,
            "box12": box12,
            "statutoryEmployee": rng.random() < 0.03,
            "retirementPlan": any(item["code"] in {"D", "E", "AA"} for item in box12),
            "thirdPartySickPay": rng.random() < 0.04,
            "other": rng.choice([None, None, None, f"SDI {_money(gross * 0.009):.2f}",
                                 f"UNION DUES {rng.randint(120, 900)}.00", f"NY PFL {_money(gross * 0.0013):.2f}"]),
        },
        "multiStateEmployment": states,
    }


def _state_rows(rng: random.Random, employer: Employer, person: Person, wages: float, year: int) -> list[dict]:
    states = [employer.state]
    if person.state != employer.state and rng.random() < 0.35:
        states.append(person.state)
    rows = []
    remaining = wages
    for position, state in enumerate(states):
        share = remaining if position == len(states) - 1 else _money(wages * rng.uniform(0.3, 0.7))
        remaining = _money(remaining - share)
        taxed = state not in NO_INCOME_TAX
        locality = rng.choice(LOCALITIES[state]) if state in LOCALITIES and rng.random() < 0.7 else None
        rows.append({
            "state": state,
            "employerStateId": employer.state_id if position == 0 else f"{rng.randint(10000000, 99999999)}",
            "stateWages": share if taxed else None,
            "stateIncomeTax": _money(share * rng.uniform(0.02, 0.065)) if taxed else None,
            "localWages": share if locality else None,
            "localIncomeTax": _money(share * rng.uniform(0.005, 0.025)) if locality else None,
            "localityName": locality,
        })
    return rows


# -- rendering -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Style:
    line: Any
    label_font: str
    value_font: str
    label_color: Any
    shade: Any | None
    thousands: bool


STYLES = {
    "irs": _Style(colors.black, "Helvetica", "Courier-Bold", colors.black, None, False),
    "red": _Style(colors.Color(0.8, 0.1, 0.1), "Helvetica", "Helvetica", colors.Color(0.8, 0.1, 0.1), None, True),
    "provider": _Style(colors.Color(0.3, 0.3, 0.3), "Times-Roman", "Times-Bold", colors.black,
                       colors.Color(0.9, 0.9, 0.9), True),
    "two_up": _Style(colors.black, "Helvetica", "Courier", colors.black, None, False),
}


def _amount(value: float | None, thousands: bool) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}" if thousands else f"{value:.2f}"


def render_w2(path: str, label: dict[str, Any], variant: str) -> None:
    canvas = Canvas(path, pagesize=letter, invariant=1)
    canvas.setTitle("Form W-2")
    style = STYLES[variant]
    if variant == "two_up":
        _draw_form(canvas, label, style, top=770, copy="Copy B—To Be Filed With Employee's FEDERAL Tax Return")
        canvas.setDash(3, 3)
        canvas.line(20, 396, 592, 396)
        canvas.setDash()
        _draw_form(canvas, label, style, top=380, copy="Copy C—For EMPLOYEE'S RECORDS")
    else:
        copy = {"irs": "Copy B—To Be Filed With Employee's FEDERAL Tax Return",
                "red": "Copy 2—To Be Filed With Employee's State, City, or Local Income Tax Return",
                "provider": "Employee Reference Copy"}[variant]
        _draw_form(canvas, label, style, top=760, copy=copy)
        if variant == "provider":
            canvas.setFont("Helvetica-Oblique", 8)
            canvas.drawString(36, 330, "This information is being furnished to the Internal Revenue Service.")
    canvas.showPage()
    canvas.save()


def _draw_form(canvas: Canvas, label: dict[str, Any], style: _Style, top: float, copy: str) -> None:
    left, mid, right, row = 36.0, 306.0, 576.0, 25.0
    employee, employer = label["employee"], label["employer"]
    earnings, benefits = label["earnings"], label["benefits"]
    money = lambda v: _amount(v, style.thousands)  # noqa: E731

    def box(x: float, y: float, w: float, h: float, caption: str, value: str = "", lines: list[str] | None = None):
        canvas.setStrokeColor(style.line)
        if style.shade is not None:
            canvas.setFillColor(style.shade)
            canvas.rect(x, y + h - 8, w, 8, stroke=0, fill=1)
        canvas.rect(x, y, w, h)
        canvas.setFillColor(style.label_color)
        canvas.setFont(style.label_font, 5.8)
        canvas.drawString(x + 2, y + h - 6.5, caption)
        canvas.setFillColor(colors.black)
        canvas.setFont(style.value_font, 9)
        if lines:
            for i, text in enumerate(lines):
                canvas.drawString(x + 4, y + h - 18 - i * 10.5, text)
        elif value:
            canvas.drawString(x + 4, y + 4, value)

    y = top - row
    box(left, y, 170, row, "a Employee's social security number", employee["ssn"] or "")
    box(left + 170, y, mid - left - 170, row, "OMB No. 1545-0008")
    half = (right - mid) / 2
    y -= row
    box(left, y, mid - left, row, "b Employer identification number (EIN)", employer["ein"] or "")
    box(mid, y, half, row, "1 Wages, tips, other compensation", money(earnings["wages"]))
    box(mid + half, y, half, row, "2 Federal income tax withheld", money(earnings["federalIncomeTaxWithheld"]))
    y -= row * 3
    box(left, y, mid - left, row * 3, "c Employer's name, address, and ZIP code",
        lines=[employer["name"], employer["address"], employer["cityStateZip"]])
    box(mid, y + 2 * row, half, row, "3 Social security wages", money(earnings["socialSecurityWages"]))
    box(mid + half, y + 2 * row, half, row, "4 Social security tax withheld", money(earnings["socialSecurityTaxWithheld"]))
    box(mid, y + row, half, row, "5 Medicare wages and tips", money(earnings["medicareWages"]))
    box(mid + half, y + row, half, row, "6 Medicare tax withheld", money(earnings["medicareTaxWithheld"]))
    box(mid, y, half, row, "7 Social security tips", money(earnings["socialSecurityTips"]))
    box(mid + half, y, half, row, "8 Allocated tips", money(earnings["allocatedTips"]))
    y -= row
    box(left, y, mid - left, row, "d Control number", employer["controlNumber"] or "")
    box(mid, y, half, row, "9")
    box(mid + half, y, half, row, "10 Dependent care benefits", money(benefits["dependentCareBenefits"]))
    y -= row * 4
    box(left, y, mid - left, row * 4, "e Employee's first name and initial   Last name   Suff.   f Employee's address and ZIP code",
        lines=[employee["name"], employee["address"], employee["cityStateZip"]])
    codes = benefits["box12"] + [None] * (4 - len(benefits["box12"]))
    box(mid, y + 3 * row, half, row, "11 Nonqualified plans", money(benefits["nonqualifiedPlans"]))
    checks = "     ".join(
        f"[{'X' if benefits[key] else ' '}]" for key in ("statutoryEmployee", "retirementPlan", "thirdPartySickPay")
    )
    box(mid, y + 2 * row, half, row, "13 Statutory employee   Retirement plan   Third-party sick pay", checks)
    box(mid, y, half, row * 2, "14 Other", benefits["other"] or "")
    for i, item in enumerate(codes):
        text = f"{item['code']:<3} {money(item['amount'])}" if item else ""
        box(mid + half, y + (3 - i) * row, half, row, f"12{'abcd'[i]} See instructions for box 12", text)
    widths = [34, 90, 74, 74, 74, 74, 120]
    captions = ["15 State", "Employer's state ID number", "16 State wages, tips, etc.", "17 State income tax",
                "18 Local wages, tips, etc.", "19 Local income tax", "20 Locality name"]
    rows = label["multiStateEmployment"] + [None] * (2 - len(label["multiStateEmployment"]))
    for r, state in enumerate(rows):
        y -= row
        x = left
        values = ["", "", "", "", "", "", ""]
        if state:
            values = [state["state"], state["employerStateId"], money(state["stateWages"]),
                      money(state["stateIncomeTax"]), money(state["localWages"]),
                      money(state["localIncomeTax"]), state["localityName"] or ""]
        for width, caption, value in zip(widths, captions, values):
            box(x, y, width, row, caption if r == 0 else "", value)
            x += width
    y -= 30
    canvas.setFillColor(style.label_color)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(left, y, "W-2")
    canvas.setFont(style.label_font, 10)
    canvas.drawString(left + 40, y, "Wage and Tax Statement")
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(left + 190, y - 2, str(label["taxYear"]))
    canvas.setFont(style.label_font, 6.5)
    canvas.drawString(left + 260, y + 6, "Department of the Treasury—Internal Revenue Service")
    canvas.drawString(left, y - 12, copy)
    canvas.setFillColor(colors.black)


def payroll_row(employee: Employee, employer: Employer, label: dict[str, Any]) -> dict[str, Any]:
    """What the payroll system stored: what it computed, not everything the form prints.

    Payroll never stored the control number, box 14 text, tips or local taxes (those come
    from other systems or are typed at print time), so they are gaps to fill.
    """
    earnings, benefits = label["earnings"], label["benefits"]
    person = employee.person
    states = label["multiStateEmployment"]
    deferral = next((item["amount"] for item in benefits["box12"] if item["code"] == "D"), None)
    row = {
        "EMPLOYEE_ID": employee.employee_id,
        "TAX_YEAR": label["taxYear"],
        "SSN": employee.ssn,
        "FIRST_NAME": person.first,
        "MIDDLE_INITIAL": person.middle,
        "LAST_NAME": person.last,
        "STREET": person.street,
        "CITY": person.city,
        "STATE": person.state,
        "ZIP": person.zip,
        "EMPLOYER_EIN": label["employer"]["ein"],
        "EMPLOYER_NAME": label["employer"]["name"],
        "GROSS_TAXABLE_WAGES": earnings["wages"],
        "FED_WITHHOLDING": earnings["federalIncomeTaxWithheld"],
        "SS_WAGES": earnings["socialSecurityWages"],
        "SS_TAX": earnings["socialSecurityTaxWithheld"],
        "MEDICARE_WAGES": earnings["medicareWages"],
        "MEDICARE_TAX": earnings["medicareTaxWithheld"],
        "DEP_CARE": benefits["dependentCareBenefits"],
        "K401_DEFERRAL": deferral,
        "RETIREMENT_PLAN": "Y" if benefits["retirementPlan"] else "N",
    }
    for i in (0, 1):
        state = states[i] if i < len(states) else None
        row[f"STATE{i + 1}"] = state["state"] if state else None
        row[f"STATE{i + 1}_ID"] = state["employerStateId"] if state else None
        row[f"STATE{i + 1}_WAGES"] = state["stateWages"] if state else None
        row[f"STATE{i + 1}_TAX"] = state["stateIncomeTax"] if state else None
    return row


def payroll_key(row: dict[str, Any]) -> str:
    return f"{row['EMPLOYEE_ID']}/{row['TAX_YEAR']}"
