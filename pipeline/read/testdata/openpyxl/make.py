#!/usr/bin/python3
"""Writes the workbooks under testdata/ that openpyxl makes (px-*.xlsx), and a CSV as Excel's
plain "CSV" writes it (px-lossy-cp1252.csv): the cases a data
officer's hand-kept workbook has and LibreOffice's converter cannot make from a source file
(a formula with no saved value, a very hidden sheet, rows an autofilter leaves out).

The tests read the committed .xlsx files, so neither CI nor a developer needs openpyxl; run this
after changing it (Debian: apt-get install --no-install-recommends python3-openpyxl):

    python3 testdata/openpyxl/make.py [px-NAME ...]   # from pipeline/read; names: only those
"""
import os

from openpyxl import Workbook

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

HEADER = ["Role", "FirstName", "LastName", "Email", "MISID", "DefaultAssessorEmail",
          "DefaultEmployerMISID", "ClassroomName", "PlacementName", "ULN", "NINO", "DOB",
          "StartOn", "PlannedEndDate", "L12", "L13", "L14"]
STAFF = ["5 Assessor/Tutor", "Sam", "Patel", "sam.patel@northfield.example", "STF-100"]
EMPLOYER = ["40", "Rhys", "Hughes", "rhys.hughes@acme.example", "EMPC-100", None, None, None,
            "Acme Logistics Ltd"]


def learner(first, last, misid, uln):
    return ["Learner", first, last, f"{first.lower()}.{last.lower()}@learner.example", misid,
            "sam.patel@northfield.example", "EMPC-100", "Business Administration L3",
            "Acme Logistics Ltd", uln, "AB 12 34 56 C", "14/03/2008", "01/09/2026",
            "28/02/2028", "31", "F", "2"]


def put(ws, row, values, col=1):
    for i, v in enumerate(values):
        if v is not None:
            ws.cell(row=row, column=col + i, value=v)


def officer():
    """px-officer.xlsx: the workbook issue 11 describes. Sheet Learners has a title in A1, blank
    rows, and its header on row 4 from column B; row 7 is hidden by hand and row 8 by the
    autofilter; row 9 holds Excel errors cached from formulas, row 10 a formula openpyxl saves
    without a value, row 11 a totals line. Old learners 2024 is hidden, Lookups very hidden."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Learners"
    ws["A1"] = "Northfield Training - September 2026 starters"
    put(ws, 4, HEADER, col=2)
    put(ws, 5, STAFF, col=2)
    put(ws, 6, EMPLOYER, col=2)
    put(ws, 7, learner("Amira", "Khan", "L-2001", "1000000043"), col=2)
    put(ws, 8, learner("Oliver", "Bennett", "L-2002", "1234567899"), col=2)
    bad = learner("Zoe", "Richardson", "L-2003", "2216036004")
    bad[3] = "#N/A"  # openpyxl writes an error code as a cell of type e, as Excel does
    bad[10] = "#REF!"
    put(ws, 9, bad, col=2)
    formula = learner("Jack", "Thompson", "L-2004", "1228714044")
    formula[3] = '=LOWER(C10&"."&D10&"@learner.example")'  # no saved value: openpyxl does not calculate
    put(ws, 10, formula, col=2)
    ws["B11"] = "Total: 4 learners"
    ws.row_dimensions[7].hidden = True
    ws.auto_filter.ref = "B4:R11"
    ws.auto_filter.add_filter_column(1, ["Sam", "Rhys", "Amira", "Zoe", "Jack"])
    ws.row_dimensions[8].hidden = True  # what Excel writes for a row the filter leaves out

    old = wb.create_sheet("Old learners 2024")
    put(old, 1, HEADER)
    put(old, 2, learner("Old", "Learner", "L-1999", "1000000043"))
    old.sheet_state = "hidden"

    lookups = wb.create_sheet("Lookups")
    put(lookups, 1, ["Role", "Code"])
    put(lookups, 2, ["Learner", "1"])
    lookups.sheet_state = "veryHidden"
    wb.save(os.path.join(OUT, "px-officer.xlsx"))


def numbers():
    """px-numbers.xlsx: numbers as Excel shows them. B is formatted as percentages (built-in 0%
    and 0.00%, and a custom format), C holds text typed with a currency sign and separators."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Costs"
    put(ws, 1, ["Name", "Score", "Cost"])
    rows = [("a", 0.92, "0%", "£350.55"), ("b", 0.925, "0.00%", "1,200.00"),
            ("c", 0.07, '0.0%;"minus"', "350"), ("d", 0.5, "0.00", "€12")]
    for i, (name, score, fmt, cost) in enumerate(rows, start=2):
        ws.cell(row=i, column=1, value=name)
        c = ws.cell(row=i, column=2, value=score)
        c.number_format = fmt
        ws.cell(row=i, column=3, value=cost)
    wb.save(os.path.join(OUT, "px-numbers.xlsx"))


def lossy():
    """px-lossy-cp1252.csv: a CSV as Excel's plain "CSV" saves it, in Windows-1252, which writes
    '?' for every character it cannot hold (Python's cp1252 codec with errors="replace" does the
    same)."""
    rows = ["Role,FirstName,LastName,Email,MISID",
            "5 Assessor/Tutor,Adébáyọ̀,Okafor,ade@northfield.example,STF-1",
            "5 Assessor/Tutor,李,Wei,li@northfield.example,STF-2",
            "5 Assessor/Tutor,Zoë,Łukasz,zoe@northfield.example,STF-3",
            "5 Assessor/Tutor,Amélie,Dupont,amelie@northfield.example,STF-4"]
    data = ("\r\n".join(rows) + "\r\n").encode("cp1252", errors="replace")
    with open(os.path.join(OUT, "px-lossy-cp1252.csv"), "wb") as f:
        f.write(data)


def dates():
    """px-dates.xlsx: date cells (formatted dd/mm/yyyy, as a UK officer's Excel shows them) on
    rows that are rejected: a planned end before the start, and a date with a time."""
    import datetime
    wb = Workbook()
    ws = wb.active
    ws.title = "Learners"
    put(ws, 1, HEADER)
    put(ws, 2, STAFF)
    put(ws, 3, EMPLOYER)
    a = learner("Amira", "Khan", "L-2001", "1000000043")
    a[11:14] = [datetime.datetime(2008, 3, 14), datetime.datetime(2028, 8, 31), datetime.datetime(2026, 9, 1)]
    put(ws, 4, a)
    b = learner("Oliver", "Bennett", "L-2002", "1234567899")
    b[11:14] = [datetime.datetime(2030, 1, 2, 9, 30), datetime.datetime(2026, 9, 1), datetime.datetime(2028, 8, 31)]
    put(ws, 5, b)
    for row in (4, 5):
        for col in ("L", "M", "N"):
            ws[f"{col}{row}"].number_format = "dd/mm/yyyy"
    ws["L5"].number_format = "dd/mm/yyyy hh:mm"
    wb.save(os.path.join(OUT, "px-dates.xlsx"))


WRITERS = {"px-officer.xlsx": officer, "px-lossy-cp1252.csv": lossy, "px-numbers.xlsx": numbers,
           "px-dates.xlsx": dates}

if __name__ == "__main__":
    import sys
    # Names given on the command line write only those files (the others keep their bytes).
    for name in sys.argv[1:] or WRITERS:
        WRITERS[name]()
        print("wrote", name)
