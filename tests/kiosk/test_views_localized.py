"""Names given in every language reach the maker in theirs."""

from __future__ import annotations

from fabdesk.errors import Localized, RuleViolation, Violation
from kiosk.i18n import translator


def test_a_category_name_is_shown_in_the_makers_language() -> None:
    error = RuleViolation(
        [
            Violation(
                "not_certified",
                "You need a valid {category} certification on {day} to book {machine}.",
                {
                    "category": Localized(
                        en="CO2 laser cutter", fr="Découpeuse laser CO2", nl="CO2-lasersnijder"
                    ),
                    "day": "2026-11-25",
                    "machine": "Trotec Speedy 360 #1",
                },
            )
        ]
    )
    french = error.render(translator("fr").gettext, "fr")
    assert "Découpeuse laser CO2" in french
    assert "25/11/2026" in french
    assert "CO2 laser cutter" not in french
    assert "CO2-lasersnijder" in error.render(translator("nl").gettext, "nl")
    assert "CO2 laser cutter" in str(error)
