"""Phone access: a maker makes a personal access token for the maker API, shown once as a QR code
to scan with their phone (and as text), sees their tokens with when each was last used, and
revokes one (a lost phone). Only the token's hash is kept."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from fabdesk.db import session_scope, write_session
from inventory.maker_tokens import IssuedToken, issue_token, revoke_token, tokens_of
from kiosk.i18n import N_
from kiosk.messages import TokenLine, TokensLoaded
from kiosk.screens.table_screen import TableScreen
from kiosk.widgets.message_line import MessageLine

if TYPE_CHECKING:
    from fabdesk.models import MakerToken


def qr_text(data: str) -> Text:
    """`data` as a QR code drawn with half blocks (two modules a character row), dark on light
    whatever the terminal's colours, so a phone reads it off the screen."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=2)
    code.add_data(data)
    code.make(fit=True)
    drawn = io.StringIO()
    code.print_ascii(out=drawn)
    return Text(drawn.getvalue().rstrip("\n"), style="black on white", no_wrap=True)


def _lines(tokens: list[MakerToken]) -> list[TokenLine]:
    return [
        TokenLine(t.id or 0, t.token_hint, t.created_at, t.last_used_at) for t in tokens if t.active
    ]


class TokensScreen(TableScreen):
    TABLE = "tokens"
    KEYS = [
        ("N", N_("New phone token")),
        ("↑↓", N_("Token")),
        ("X", N_("Revoke")),
        ("Esc", N_("Back")),
    ]
    BINDINGS = [
        *TableScreen.BINDINGS,
        ("n", "issue", ""),
        ("x", "revoke", ""),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[TokenLine] = []
        self.issued: IssuedToken | None = None
        """The token just made: shown on this screen only, never again."""

    def compose(self) -> ComposeResult:
        with Vertical(id="tokens-screen"):
            yield Static(self._("Phone access"), classes="title")
            with Horizontal():
                yield Static("", id="qr")
                with Vertical(id="tokens-side"):
                    yield Static(self.explanation(), id="token-text")
                    yield DataTable(id=self.TABLE, cursor_type="row")
            yield MessageLine(id="message")
        yield self.key_hints()

    def explanation(self) -> str:
        if self.issued is None:
            return self._(
                "Press N to make a token for your phone: it books, cancels and waits for you "
                "through the fabdesk API."
            )
        return (
            self._("Scan the code with your phone, or type this token. It is shown only now:")
            + "\n"
            + self.issued.token
        )

    @work(thread=True, exclusive=True, group="tokens", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        with session_scope(kiosk.engine) as session:
            tokens = _lines(tokens_of(session, kiosk.maker.maker_id))
        self.post_message(TokensLoaded(tokens))

    @work(thread=True, exclusive=True, group="tokens-change", exit_on_error=False)
    def change(self, token_id: int | None) -> None:
        """Make a token (`token_id` None) or revoke one, then read the list again."""
        kiosk = self.kiosk
        assert kiosk.maker is not None
        maker_id = kiosk.maker.maker_id
        issued = None
        with write_session(kiosk.engine) as session:
            if token_id is None:
                issued = issue_token(
                    session, maker_id, label=f"kiosk {kiosk.site}", now=kiosk.clock()
                )
            else:
                revoke_token(session, token_id, now=kiosk.clock(), maker_id=maker_id)
            tokens = _lines(tokens_of(session, maker_id))
        self.post_message(TokensLoaded(tokens, issued))

    def on_tokens_loaded(self, message: TokensLoaded) -> None:
        self.tokens = message.tokens
        if isinstance(message.issued, IssuedToken):
            self.issued = message.issued
        elif message.issued is None and self.loaded:
            self.show_message(self._("Token revoked: it no longer works."))
        self.loaded = True
        self.fill()

    def fill(self) -> None:
        qr = self.query_one("#qr", Static)
        qr.update(qr_text(self.issued.token) if self.issued else "")
        qr.display = self.issued is not None
        self.query_one("#token-text", Static).update(self.explanation())
        table = self.table()
        table.clear(columns=True)
        table.add_columns(self._("Token"), self._("Made"), self._("Last used"))
        zone = self.kiosk.zone
        for token in self.tokens:
            table.add_row(
                token.hint + "…",
                f"{token.made.astimezone(zone):%d/%m/%Y}",
                f"{token.last_used.astimezone(zone):%d/%m %H:%M}"
                if token.last_used
                else self._("never"),
            )
        table.focus()

    def action_issue(self) -> None:
        self.clear_message()
        self.change(None)

    def action_revoke(self) -> None:
        if not self.tokens:
            return
        row = min(self.table().cursor_row, len(self.tokens) - 1)
        self.issued = None
        self.change(self.tokens[row].token_id)
