"""QR labels decode back to their tags with a real decoder (zbar's zbarimg), PNG and PDF alike."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from fabdesk.identifiers import make_asset_tag
from inventory.labels import (
    QUIET_MODULES,
    TEMPLATES,
    Label,
    LabelTemplate,
    _matrix,
    label_sheet_pdf,
    qr_content,
    write_label_files,
)

# No skip when the tools are missing: `make test` installs them (scripts/system-deps).
assert shutil.which("zbarimg"), "zbarimg (Debian zbar-tools) is needed: run scripts/system-deps"
assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is needed: run scripts/system-deps"


def _decode(*images: Path) -> list[str]:
    """What zbarimg reads in images (in their order), one decoded QR code per line."""
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", *map(str, images)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if line]


def _labels(count: int, url: str = "") -> list[Label]:
    tags = [make_asset_tag("CF1", n) for n in range(1, count + 1)]
    return [
        Label(t, f"Machine number {n} with a long name", "Cityfab1 Laeken", qr_content(t, url))
        for n, t in enumerate(tags, start=1)
    ]


@pytest.mark.parametrize("url", ["", "https://fab.example.org/e/"])
def test_png_labels_decode_to_their_tags(tmp_path: Path, url: str) -> None:
    labels = _labels(4, url)
    done: list[int] = []
    paths = write_label_files(labels, tmp_path, fmt="png", progress=done.append)
    assert done == [1, 2, 3, 4]
    for label, path in zip(labels, paths, strict=True):
        assert path.name == f"{label.asset_tag}.png"
        assert _decode(path) == [label.content]
        assert label.content.endswith(label.asset_tag)


def test_svg_labels_are_drawings_with_the_tag_in_clear(tmp_path: Path) -> None:
    (path,) = write_label_files(_labels(1), tmp_path, fmt="svg")
    root = ET.parse(path).getroot()
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == [
        make_asset_tag("CF1", 1),
        "Machine number 1 with a long name",
        "Cityfab1 Laeken",
    ]
    assert list(root.iter("{http://www.w3.org/2000/svg}path"))


NAMES = [
    ("Łukasz Żółćwicz", "Drukarka Łódź"),
    ("Şükrü Ağaoğlu", "Lazer kesim Ğ"),
    ("Őrző Ödön", "Gyalugép ű"),
    ("Ștefan Țăranu", "Imprimantă și ferăstrău"),
]
"""Polish, Turkish, Hungarian and Romanian letters: item names and site names as printed."""


def _named_labels(count: int) -> list[Label]:
    labels = []
    for n in range(1, count + 1):
        name, site = NAMES[n % len(NAMES)]
        tag = make_asset_tag("CF1", n)
        labels.append(Label(tag, name, site, qr_content(tag, "https://fab.example.org/e/")))
    return labels


def _cells(page: Image.Image, template: LabelTemplate, dpi: int) -> list[Image.Image]:
    """Each label of a page image, cut along the label stock's edges."""
    scale = dpi / 25.4
    cells = []
    for slot in range(template.per_page):
        x, y = template.cell(slot)
        top = template.page_height - y - template.label_height
        box = (x, top, x + template.label_width, top + template.label_height)
        cells.append(page.crop(tuple(round(v * scale) for v in box)))  # type: ignore[arg-type]
    return cells


@pytest.mark.parametrize("template_name", list(TEMPLATES))
def test_every_label_decodes_at_150_300_and_600_dpi_and_prints_every_letter(
    tmp_path: Path, template_name: str
) -> None:
    template = TEMPLATES[template_name]
    labels = _named_labels(template.per_page if template.per_page > 1 else 3)
    pdf = label_sheet_pdf(labels, tmp_path / "sheet.pdf", template=template)
    pages = 1 if template.per_page > 1 else len(labels)
    for dpi in (150, 300, 600):
        prefix = tmp_path / f"p{dpi}"
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(prefix)], check=True
        )
        images = sorted(tmp_path.glob(f"p{dpi}-*.png"))
        assert len(images) == pages
        cells = [cell for image in images for cell in _cells(Image.open(image), template, dpi)]
        paths = []
        for n, cell in enumerate(cells[: len(labels)]):
            paths.append(tmp_path / f"cell-{dpi}-{n:03d}.pgm")
            cell.save(paths[-1])
        decoded = _decode(*paths)
        assert decoded == [label.content for label in labels], dpi
    for index, label in enumerate(labels):
        page, slot = divmod(index, template.per_page)
        x, y = template.cell(slot)
        top = template.page_height - y - template.label_height
        points = [
            round(v / 25.4 * 72) for v in (x, top, template.label_width, template.label_height)
        ]
        text = subprocess.run(
            [
                "pdftotext",
                "-f",
                str(page + 1),
                "-l",
                str(page + 1),
                "-x",
                str(points[0]),
                "-y",
                str(points[1]),
                "-W",
                str(points[2]),
                "-H",
                str(points[3]),
                str(pdf),
                "-",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert [line for line in text.splitlines() if line.strip()] == [
            label.asset_tag,
            label.name,
            label.site,
        ]


def test_nothing_is_drawn_in_the_quiet_zone(tmp_path: Path) -> None:
    template = TEMPLATES["a4-70x37"]
    (label,) = _named_labels(1)
    pdf = label_sheet_pdf([label], tmp_path / "one.pdf", template=template)
    dpi = 600
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(tmp_path / "q")], check=True
    )
    cell = _cells(Image.open(next(tmp_path.glob("q-*.png"))), template, dpi)[0].convert("L")
    size = len(_matrix(label.content))
    module = (template.label_height - 3) / (size + 2 * QUIET_MODULES) / 25.4 * dpi
    start = 1.5 / 25.4 * dpi + QUIET_MODULES * module  # the code's top-left corner, in pixels
    end = start + size * module
    quiet = QUIET_MODULES * module

    def blank(x0: float, y0: float, x1: float, y1: float) -> bool:
        # One pixel off each side: anti-aliasing of the code's own edge is not drawing.
        box = (round(x0) + 1, round(y0) + 1, round(x1) - 1, round(y1) - 1)
        darkest, _ = cell.crop(box).getextrema()
        return bool(darkest > 200)  # type: ignore[operator]

    assert not blank(start, start, end, end)  # the code is there
    assert blank(end, start - quiet, end + quiet, end + quiet)  # right of it: where text begins
    assert blank(start - quiet, start - quiet, start, end + quiet)  # left
    assert blank(start - quiet, start - quiet, end + quiet, start)  # above
    assert blank(start - quiet, end, end + quiet, end + quiet)  # below


def test_a_missing_font_says_which_package_to_install() -> None:
    from fabdesk.errors import ConfigError
    from inventory.labels import font_file

    with pytest.raises(ConfigError, match="fonts-dejavu-core"):
        font_file("NoSuchFont.ttf")


def test_unknown_label_format_is_refused(tmp_path: Path) -> None:
    from fabdesk.errors import InvalidValue

    with pytest.raises(InvalidValue):
        write_label_files(_labels(1), tmp_path, fmt="gif")  # type: ignore[arg-type]
