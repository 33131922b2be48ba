"""Read pages as a person does: the text of the elements that carry a class, not raw markup."""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Collector(HTMLParser):
    def __init__(self, tag: str, css_class: str, within: str | None):
        super().__init__()
        self.tag, self.css_class, self.within = tag, css_class, within
        self.inside = 0 if within else 1  # how many open elements are the `within` element
        self.open: list[tuple[str, list[str] | None]] = []  # (tag, text if collected)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        if self.within and attrs.get("id") == self.within:
            self.inside += 1
            tag = f"{tag}#within"
        classes = (attrs.get("class") or "").split()
        wanted = self.inside and tag == self.tag and self.css_class in classes
        self.open.append((tag, [] if wanted else None))

    def handle_endtag(self, tag):
        while self.open:
            name, text = self.open.pop()
            if text is not None:
                self.found.append(" ".join("".join(text).split()))
            if name == f"{tag}#within":
                self.inside -= 1
            if name.partition("#")[0] == tag:
                break

    def handle_data(self, data):
        for _name, text in self.open:
            if text is not None:
                text.append(data)


def texts(html: str | bytes, tag: str, css_class: str, *, within: str | None = None) -> list[str]:
    """The whitespace-normalised text of every `tag` element with `css_class` (inside the
    element whose id is `within`, if given), in page order (nested matches come before the
    element that holds them)."""
    collector = _Collector(tag, css_class, within)
    collector.feed(html.decode() if isinstance(html, bytes) else html)
    return collector.found
