"""QR labels: one PNG or SVG per item, and printable A4 PDF sheets (a grid of labels).

A label shows the QR code, the asset tag in clear text, the item's name and its site. The QR
content is the asset tag, or a configured URL followed by the tag; audit scans accept both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session

from fabdesk.errors import InvalidValue
from inventory.register import get_item, list_items

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


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf") if bold else ("DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


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


# A4 sheet: 3 columns x 7 rows of 70 x 42.4 mm labels, no margins (common label stock).
COLUMNS = 3
ROWS = 7


def label_sheet_pdf(
    labels: Sequence[Label], path: Path, *, progress: Progress | None = None
) -> Path:
    """Printable A4 sheets, 21 labels each: QR code on the left, tag, name and site beside it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    page_width, page_height = A4
    cell_w, cell_h = page_width / COLUMNS, page_height / ROWS
    canvas = Canvas(str(path), pagesize=A4, pageCompression=1)
    canvas.setTitle("Equipment labels")
    qr_size = 28 * mm
    per_page = COLUMNS * ROWS
    for index, label in enumerate(labels):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        x0 = (slot % COLUMNS) * cell_w
        y0 = page_height - (slot // COLUMNS + 1) * cell_h
        matrix = _matrix(label.content)
        module = qr_size / len(matrix)
        qx, qy = x0 + 5 * mm, y0 + (cell_h - qr_size) / 2
        drawing = canvas.beginPath()
        for r, row in enumerate(matrix):
            c = 0
            while c < len(row):
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    drawing.rect(
                        qx + start * module,
                        qy + qr_size - (r + 1) * module,
                        (c - start) * module,
                        module,
                    )
                else:
                    c += 1
        canvas.drawPath(drawing, stroke=0, fill=1)
        tx = qx + qr_size + 5 * mm
        room = x0 + cell_w - tx - 2 * mm
        ty = y0 + cell_h / 2 + 8 * mm
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(tx, ty, label.asset_tag)
        canvas.setFont("Helvetica", 7.5)
        for n, text in enumerate(_wrap(label.name, room, stringWidth, 7.5)[:3]):
            canvas.drawString(tx, ty - (5 + 3.4 * n) * mm, text)
        canvas.setFont("Helvetica-Oblique", 7)
        canvas.drawString(tx, y0 + cell_h / 2 - 10 * mm, _fit(label.site, room, stringWidth, 7))
        if progress:
            progress(index + 1)
    canvas.save()
    return path


def _fit(text: str, room: float, width: Callable[[str, str, float], float], size: float) -> str:
    while text and width(text, "Helvetica", size) > room:
        text = text[:-1]
    return text


def _wrap(
    text: str, room: float, width: Callable[[str, str, float], float], size: float
) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if width(candidate, "Helvetica", size) <= room:
            current = candidate
        else:
            if current:
                lines.append(current)
            current = _fit(word, room, width, size)
    if current:
        lines.append(current)
    return lines
