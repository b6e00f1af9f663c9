# ruff: noqa: E501  (one-line helps, as written by the generator)
"""Every top-level `fabdesk` command: the area modules that define it, and its one-line
help. Written by `python -m fabdesk.cli._lazy`; do not edit."""

COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "init": (("core",), "Create the database, or bring its schema up to date. Safe to run again."),
    "seed": (
        ("core",),
        "Fill the database with the Cityfab demo network (3 sites, ~40 machines, 200 makers).",
    ),
    "demo": (("core",), "Start the whole lab on this machine and open the kiosk in front of it."),
    "import": (("cadastre_files",), "Add and update items from a file: all of it, or nothing."),
    "export": (
        ("cadastre_files",),
        "Write the whole register (or one site); `fabdesk import` reads it back.",
    ),
    "opendata": (
        ("cadastre_files",),
        "Publish the cadastre as open data (CSV, or JSON-LD with schema.org), without any personal data: no maker, no borrower, no notes; or the DCAT-AP catalogue that describes it (dataset, CSV and JSON-LD distributions at the API's public URL, publisher, licence, dates).",
    ),
    "labels": (
        ("cadastre_files",),
        "Print QR labels: QR code, asset tag, name and site, as PDF pages for label stock or one image file each. Names print in DejaVu Sans (Debian: fonts-dejavu-core), every letter.",
    ),
    "book": (
        ("scheduling",),
        "Book a machine for a maker. Every booking rule applies; a refusal says which and why.",
    ),
    "walk-in": (
        ("scheduling",),
        "Book a machine from now and check in at once (as at the kiosk's W).",
    ),
    "availability": (
        ("scheduling",),
        "Show a site's day board, or with --category the next free slot (one site or all).",
    ),
    "scheduler": (
        ("scheduling",),
        "Run the background jobs alone (no-shows, reminders, waitlist offers, warnings).",
    ),
    "close": (
        ("accounting",),
        "Close a month of the ledger: charge its last sessions, freeze its balances and usage.",
    ),
    "statement": (
        ("accounting",),
        "A maker's monthly statement: sessions, VAT, what cheques paid, what is owed (the PDF in the maker's language's forms: `fabdesk statement M00042 --month 2026-11 --pdf nov.pdf`).",
    ),
    "report": (
        ("accounting",),
        "Reports for co-investors, cheque funders and the Region, as a table, CSV or PDF.",
    ),
    "journal": (
        ("invoicing",),
        "The accountant's journal of a month: journal code, document number, booking and document dates, account of the Belgian minimum chart (settings: accounting.journal), third party, debit, credit, VAT code and base on the VAT lines. Refused if it does not balance.",
    ),
    "reconcile": (
        ("peers",),
        "Booked, used, charged, per booking of a month, and the gaps between them.",
    ),
    "serve": (
        ("api",),
        "Start the HTTP API (uvicorn): driver ingest, machine status, feeds, and (with one worker and `scheduler.enabled`) the background jobs.",
    ),
    "kiosk": (
        ("kiosk",),
        "Open the kiosk full-screen: makers scan a badge to see the board, book and check in; managers press F5, scan their badge and type their PIN.",
    ),
    "backup": (
        ("ops",),
        "Write a consistent copy of the database, safe to run while the server works.",
    ),
    "restore": (
        ("ops",),
        "Replace the whole database with a backup. Stop the server, scheduler and kiosks first.",
    ),
    "status": (
        ("ops",),
        "Show the database, the scheduler leader and every machine's driver: online or offline, last heard from, state and the events waiting in its outbox; and the registered drivers never heard from.",
    ),
    "config": (("core",), "Look at the settings in force."),
    "db": (("core",), "Database schema tools (for developers)."),
    "makers": (("core", "ops"), "The member register: makers and their trainings."),
    "sites": (
        ("setup",),
        "The sites (one fablab each). Without a subcommand: list them and their machines.",
    ),
    "categories": (("setup",), "Machine categories: names in fr/nl/en, training required, lapse."),
    "hours": (("setup",), "A site's weekly opening hours."),
    "closures": (("setup",), "Days a site is closed despite its hours (works, events)."),
    "holidays": (
        ("setup",),
        "Public holidays: Belgium's, plus the regional days a site chooses; open one anyway.",
    ),
    "policy": (
        ("setup",),
        "Booking rules of a machine or a category (else the settings' scheduler.booking).",
    ),
    "maintenance": (("setup",), "Maintenance windows: times a machine cannot be booked."),
    "equipment": (
        ("inventory", "costs", "peers"),
        "The equipment register: list, show, add, edit, move, change status, see history, record maintenance.",
    ),
    "investors": (
        ("investors", "costs"),
        "Co-investors (the Region, the City, the lab, schools, companies) and the shares of each item they funded.",
    ),
    "audit": (
        ("audits",),
        "Audit a site by scanning its labels: `open`, `scan` (type or scan tags, one a line), `close`, `report`.",
    ),
    "bookings": (
        ("scheduling", "peers"),
        "Look at and change bookings: list, cancel, check in, complete, release no-shows.",
    ),
    "charge": (("accounting",), "Price and post finished usage sessions."),
    "ledger": (("accounting", "peers"), "The double-entry ledger."),
    "cheques": (
        ("accounting",),
        "Maker cheques: programmes, issuing, expiry. Only makers without an enterprise number may receive them.",
    ),
    "material": (
        ("organisations",),
        "Sheet materials sold at the desk (MDF, plexiglass…): each site's catalogue, and sales billed to a maker or paid at the till.",
    ),
    "organisations": (
        ("organisations",),
        "Paying organisations (partner schools, companies): their linked makers book on their behalf (fabdesk book ... --on-behalf-of CODE) and the organisation is billed, with its enterprise number on its statement.",
    ),
    "invoices": (
        ("invoicing",),
        "Invoices and credit notes (Belgian rules): numbered without gaps per year and series, with the lab's legal data (settings: accounting.invoicing), a structured communication and an EPC payment QR code; organisations also get Peppol BIS 3.0 UBL XML.",
    ),
    "bank": (
        ("invoicing",),
        "Payments read from the bank's statements (CODA or camt.053): matched to invoices by structured communication, then by amount and name.",
    ),
    "usage": (
        ("usage",),
        "Usage sessions that wait for a manager: a job run without a badge and outside every booking is never charged to anyone until a manager assigns it (docs/attribution.md).",
    ),
    "trainings": (
        ("peers",),
        "Training sessions: trainers of a category give them, makers enrol, a pass certifies.",
    ),
    "disputes": (
        ("peers",),
        "Charges makers dispute: accept (the charge is reversed) or refuse with a reason.",
    ),
    "problems": (
        ("peers",),
        "Problems makers reported on machines (serious ones put the machine out of order).",
    ),
    "device": (
        ("api",),
        "Driver devices: each Raspberry Pi beside a machine posts with its own token.",
    ),
    "tokens": (("makerapi",), "Makers' personal access tokens for the maker API (their phone)."),
    "waitlist": (
        ("makerapi",),
        "Wait for a taken slot on a maker's behalf, and accept the offer when it frees.",
    ),
    "badges": (
        ("badges",),
        "Badges at the machines: who the drivers let in, and the uses to look at.",
    ),
    "managers": (
        ("managers", "kiosk"),
        "Managers: makers who may open the kiosk's manager screens with their badge and a PIN.",
    ),
    "driver": (("driver",), "The machine-side driver (on the Raspberry Pi beside a machine)."),
}
