"""The kiosk's languages are the product's: `fabdesk.i18n` (one set of catalogues for the kiosk,
the services' refusals and the messages sent to people). Kiosk code imports them from here."""

from fabdesk.i18n import LANGUAGES, N_, Language, Translator, translator

__all__ = ["LANGUAGES", "N_", "Language", "Translator", "translator"]
