"""QR labels: one PNG or SVG per item, and printable PDF pages on common label stock (an A4 sheet
of 24 labels of 70 x 37 mm, or a 62 mm roll for Brother QL printers).

A label shows the QR code, the asset tag in clear text, the item's name and its site, in DejaVu
Sans (every letter of the names people have in Brussels: Ł, ğ, Ş, ő, ș…); nothing is drawn in
the 4 modules of quiet zone round the code. The QR content is the asset tag, or a configured URL
followed by the tag; audit scans accept both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session

from fabdesk.errors import ConfigError, InvalidValue
from inventory.lookups import get_item, list_items

LabelFormat = Literal["png", "svg"]
Progress = Callable[[int], None]
"""Called with how many labels are done so far."""


@dataclass(frozen=True)
class Label:
    asset_tag: str
    name: str
    site: str
    content: str
    """What the QR code holds."""


def qr_content(asset_tag: str, url_prefix: str = "") -> str:
    """The asset tag alone, or `url_prefix` followed by it (a `/` is put between if needed)."""
    if not url_prefix:
        return asset_tag
    return (
        url_prefix if url_prefix.endswith(asset_tag) else url_prefix.rstrip("/") + "/" + asset_tag
    )


def labels_for(
    session: Session,
    *,
    site_code: str | None = None,
    asset_tags: Sequence[str] = (),
    url_prefix: str = "",
) -> list[Label]:
    """Labels of the given items, or of every item (of a site), in asset-tag order."""
    rows = list_items(session, site_code=site_code)
    if asset_tags:
        wanted = {get_item(session, tag).asset_tag for tag in asset_tags}
        rows = [r for r in rows if r.item.asset_tag in wanted]
    return [
        Label(r.item.asset_tag, r.item.name, r.site.name, qr_content(r.item.asset_tag, url_prefix))
        for r in rows
    ]


def _matrix(content: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(content)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(font_file("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size
    )


def label_png(label: Label, *, module_px: int = 8) -> Image.Image:
    """A label as an image: the QR code (with its quiet zone) and three lines of text under it."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module_px, border=4
    )
    code.add_data(label.content)
    code.make(fit=True)
    qr_image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    width = max(qr_image.width, 480)
    text_height = 100
    image = Image.new("L", (width, qr_image.height + text_height), 255)
    image.paste(qr_image, ((width - qr_image.width) // 2, 0))
    draw = ImageDraw.Draw(image)
    top = qr_image.height  # below the whole quiet zone (4 modules), so text never touches it
    draw.text((width // 2, top), label.asset_tag, fill=0, font=_font(34, bold=True), anchor="mt")
    draw.text((width // 2, top + 44), label.name[:40], fill=0, font=_font(22), anchor="mt")
    draw.text((width // 2, top + 74), label.site[:40], fill=0, font=_font(20), anchor="mt")
    return image


def label_svg(label: Label) -> str:
    """A label as SVG: qrcode's SVG path image nested in a drawing with the three text lines."""
    qr_svg = qrcode.make(
        label.content,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    ).to_string(encoding="unicode")
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    inner = ET.fromstring(qr_svg)
    inner.set("x", "0")
    inner.set("y", "0")
    inner.set("width", "60")
    inner.set("height", "60")
    outer = ET.Element(
        "{http://www.w3.org/2000/svg}svg",
        {"width": "60mm", "height": "78mm", "viewBox": "0 0 60 78", "version": "1.1"},
    )
    outer.append(inner)
    for y, size, weight, text in (
        (64, "5", "bold", label.asset_tag),
        (70.5, "3.6", "normal", label.name[:40]),
        (75.5, "3.2", "normal", label.site[:40]),
    ):
        element = ET.SubElement(
            outer,
            "{http://www.w3.org/2000/svg}text",
            {
                "x": "30",
                "y": str(y),
                "font-family": "DejaVu Sans, Helvetica, sans-serif",
                "font-size": size,
                "font-weight": weight,
                "text-anchor": "middle",
            },
        )
        element.text = text
    return ET.tostring(outer, encoding="unicode", xml_declaration=True)


def write_label_files(
    labels: Sequence[Label],
    folder: Path,
    *,
    fmt: LabelFormat = "png",
    progress: Progress | None = None,
) -> list[Path]:
    """One file per label, named after its asset tag."""
    if fmt not in ("png", "svg"):
        raise InvalidValue(
            "Label format {fmt!r} is not png or svg.", fmt=fmt, error_code="label_format"
        )
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for done, label in enumerate(labels, start=1):
        path = folder / f"{label.asset_tag}.{fmt}"
        if fmt == "png":
            label_png(label).save(path, optimize=False)
        else:
            path.write_text(label_svg(label), encoding="utf-8")
        paths.append(path)
        if progress:
            progress(done)
    return paths


@dataclass(frozen=True)
class LabelTemplate:
    """A label stock: the page, and where each label sits on it (millimetres)."""

    name: str
    description: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    left: float = 0
    top: float = 0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def cell(self, slot: int) -> tuple[float, float]:
        """The bottom-left corner of the label in `slot` (0 = top left), from the page's
        bottom-left corner, in millimetres."""
        row, column = divmod(slot, self.columns)
        x = self.left + column * self.label_width
        y = self.page_height - self.top - (row + 1) * self.label_height
        return x, y


TEMPLATES = {
    template.name: template
    for template in (
        LabelTemplate(
            "a4-70x37",
            "A4 sheet of 24 labels, 70 x 37 mm (3 x 8, no side margins)",
            210,
            297,
            70,
            37,
            columns=3,
            rows=8,
            top=0.5,
        ),
        LabelTemplate(
            "roll-62",
            "62 mm continuous roll (Brother QL): one 62 x 32 mm label a page",
            62,
            32,
            62,
            32,
        ),
    )
}
"""The label stocks `fabdesk labels --template` knows, by name."""

QUIET_MODULES = 4
"""Blank modules around each QR code, as the standard asks (nothing is drawn there)."""

FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu, Raspberry Pi OS: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
)


def font_file(name: str) -> Path:
    """The TrueType file of a DejaVu font (it has every Latin letter: Ł, ğ, Ş, ő, ș…)."""
    for folder in FONT_FOLDERS:
        path = folder / name
        if path.is_file():
            return path
    raise ConfigError(
        "The font {name} was not found in {folders}: install it (Debian: apt-get install "
        "fonts-dejavu-core).",
        name=name,
        folders=", ".join(str(f) for f in FONT_FOLDERS),
        error_code="font_missing",
    )


REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


def register_fonts() -> None:
    """Make DejaVu Sans (REGULAR, BOLD) known to reportlab, for labels and reports."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name in (REGULAR, BOLD):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(font_file(f"{name}.ttf"))))


def label_sheet_pdf(
    labels: Sequence[Label],
    path: Path,
    *,
    template: LabelTemplate,
    progress: Progress | None = None,
) -> Path:
    """Printable pages of labels on `template`'s stock: the QR code (with its quiet zone) on the
    left; tag, name (up to three lines) and site beside it, in DejaVu Sans."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    canvas = Canvas(
        str(path), pagesize=(template.page_width * mm, template.page_height * mm), pageCompression=1
    )
    canvas.setTitle("Equipment labels")
    height = template.label_height * mm
    for index, label in enumerate(labels):
        if index and index % template.per_page == 0:
            canvas.showPage()
        x0, y0 = (v * mm for v in template.cell(index % template.per_page))
        matrix = _matrix(label.content)
        # The code and its quiet zone fill the label's height, less a 1.5 mm edge.
        module = (height - 3 * mm) / (len(matrix) + 2 * QUIET_MODULES)
        qx = x0 + 1.5 * mm + QUIET_MODULES * module
        qy = y0 + 1.5 * mm + QUIET_MODULES * module
        _draw_matrix(canvas, matrix, qx, qy, module)
        tx = qx + (len(matrix) + QUIET_MODULES) * module + 1 * mm
        room = x0 + template.label_width * mm - tx - 2 * mm
        top = y0 + height - 7 * mm
        canvas.setFont(BOLD, 10)
        canvas.drawString(tx, top, _fit(label.asset_tag, room, stringWidth, 10, BOLD))
        canvas.setFont(REGULAR, 7.5)
        for n, text in enumerate(_wrap(label.name, room, stringWidth, 7.5)[:3]):
            canvas.drawString(tx, top - (4.6 + 3.3 * n) * mm, text)
        canvas.setFont(REGULAR, 6.5)
        canvas.drawString(tx, y0 + 3 * mm, _fit(label.site, room, stringWidth, 6.5, REGULAR))
        if progress:
            progress(index + 1)
    canvas.save()
    return path


def _draw_matrix(
    canvas: Any, matrix: list[list[bool]], qx: float, qy: float, module: float
) -> None:
    """The dark modules as one path of horizontal runs (small files, crisp at any dpi)."""
    drawing = canvas.beginPath()
    size = len(matrix)
    for r, row in enumerate(matrix):
        c = 0
        while c < size:
            if row[c]:
                start = c
                while c < size and row[c]:
                    c += 1
                drawing.rect(
                    qx + start * module, qy + (size - r - 1) * module, (c - start) * module, module
                )
            else:
                c += 1
    canvas.drawPath(drawing, stroke=0, fill=1)


Width = Callable[[str, str, float], float]


def _fit(text: str, room: float, width: Width, size: float, font: str = REGULAR) -> str:
    while text and width(text, font, size) > room:
        text = text[:-1]
    return text


def _wrap(text: str, room: float, width: Width, size: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if width(candidate, REGULAR, size) <= room:
            current = candidate
        else:
            if current:
                lines.append(current)
            current = _fit(word, room, width, size)
    if current:
        lines.append(current)
    return lines
