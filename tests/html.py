"""Read pages as a person does: elements by role, label, class and text, not raw markup."""

import re
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


class Element:
    """One element of a parsed page: its tag, attributes, children (elements and text)."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: "Element | None" = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    @property
    def text(self) -> str:
        """The whitespace-normalised text inside, as a reader gets it."""
        return re.sub(r"[ \t\n\f\r]+", " ", "".join(self._strings())).strip()  # keeps &nbsp;

    def _strings(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._strings()

    @property
    def elements(self) -> list["Element"]:
        return [child for child in self.children if isinstance(child, Element)]

    def iter(self):
        for child in self.elements:
            yield child
            yield from child.iter()

    def find_all(self, tag: str | None = None, css_class: str | None = None, **attrs):
        """Every element inside (in page order) with `tag`, `css_class` and attributes `attrs`
        (`aria_current="true"` for aria-current; `True` only asks that it be present)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (css_class is None or css_class in e.classes)
            and all(
                (name in e.attrs) if value is True else e.attrs.get(name) == value
                for name, value in wanted.items()
            )
        ]

    def find(self, tag: str | None = None, css_class: str | None = None, **attrs) -> "Element":
        """The one element that matches (fails the test if there are none or several)."""
        found = self.find_all(tag, css_class, **attrs)
        assert len(found) == 1, (tag, css_class, attrs, found)
        return found[0]

    def control_labelled(self, label: str) -> "Element":
        """The form control whose <label> reads `label`."""
        (target,) = [e.attrs["for"] for e in self.find_all("label") if e.text == label]
        return self.find(id=target)

    def rows(self) -> list[list[str]]:
        """A table's body rows, each the text of its cells (header and data cells)."""
        return [
            [cell.text for cell in row.elements if cell.tag in ("th", "td")]
            for body in self.find_all("tbody")
            for row in body.find_all("tr")
        ]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {})

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):  # <path .../> in SVG
        self.current.children.append(
            Element(tag, {name: value or "" for name, value in attrs}, self.current)
        )

    def handle_endtag(self, tag):
        open_element = self.current
        while open_element is not self.root and open_element.tag != tag:
            open_element = open_element.parent
        if open_element is not self.root:  # a stray end tag closes nothing
            self.current = open_element.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str | bytes) -> Element:
    """The page (or htmx fragment) as a tree; its `elements` are the top-level elements."""
    builder = _TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def link_texts(html: str | bytes) -> list[str]:
    """The text of every link, as a screen reader's list of links reads them."""
    return [a.text for a in parse(html).find_all("a")]
