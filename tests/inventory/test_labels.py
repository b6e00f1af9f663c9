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
    COLUMNS,
    ROWS,
    Label,
    label_sheet_pdf,
    qr_content,
    write_label_files,
)

# No skip when the tools are missing: `make test` installs them (scripts/system-deps).
assert shutil.which("zbarimg"), "zbarimg (Debian zbar-tools) is needed: run scripts/system-deps"
assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is needed: run scripts/system-deps"


def _decode(image: Path) -> list[str]:
    """What zbarimg reads in an image, one decoded QR code per line."""
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
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


def test_pdf_sheet_labels_decode_after_printing_at_150_dpi(tmp_path: Path) -> None:
    labels = _labels(COLUMNS * ROWS + 4)  # two pages
    pdf = label_sheet_pdf(labels, tmp_path / "sheet.pdf")
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    decoded: list[str] = []
    for page in pages:
        image = Image.open(page)
        width, height = image.size
        # Cut the page into its label cells, as a person scans one label at a time.
        for slot in range(COLUMNS * ROWS):
            row, column = divmod(slot, COLUMNS)
            cell = image.crop(
                (
                    column * width // COLUMNS,
                    row * height // ROWS,
                    (column + 1) * width // COLUMNS,
                    (row + 1) * height // ROWS,
                )
            )
            path = tmp_path / "cell.png"
            cell.save(path)
            decoded.extend(_decode(path))
    assert decoded == [label.content for label in labels]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert make_asset_tag("CF1", 25) in text.stdout
    assert "Cityfab1 Laeken" in text.stdout


def test_unknown_label_format_is_refused(tmp_path: Path) -> None:
    from fabdesk.errors import InvalidValue

    with pytest.raises(InvalidValue):
        write_label_files(_labels(1), tmp_path, fmt="gif")  # type: ignore[arg-type]
