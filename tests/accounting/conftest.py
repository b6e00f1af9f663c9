"""Fixtures of the accounting tests: a lab with co-funded machines and makers, on both databases."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.accounting.factories import Lab, build_lab


@pytest.fixture
def lab(session: Session) -> Lab:
    return build_lab(session)
