"""What a reader sees or hears of a built page: the tests of the Chinese interface read pages with it."""

from __future__ import annotations

import html.parser


class Visible(html.parser.HTMLParser):
    """The text of a page (SVG text and titles included) and the attributes shown or spoken
    (``title``, ``aria-label``, ``alt``, ``placeholder``, and ``data-label``: a phone card's labels),
    not code, scripts or styles."""

    SKIP = {"script", "style", "code"}
    SHOWN_ATTRS = ("title", "aria-label", "alt", "placeholder", "data-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        self.parts.extend(value for name, value in attrs if name in self.SHOWN_ATTRS and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_parts(page: str) -> list[str]:
    parser = Visible()
    parser.feed(page)
    return parser.parts


def visible_text(page: str) -> str:
    return "\n".join(visible_parts(page))
