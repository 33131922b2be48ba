"""Files for the demo's journeys, written here rather than shipped: a floor plan as a small PDF
(one page, a few lines), as an applicant might scan or draw one."""


def floor_plan_pdf() -> bytes:
    """A one-page PDF drawing of a café's floor plan: the room, the kitchen, the counter, the
    door. Valid enough for any reader (objects, cross-reference table, trailer)."""
    drawing = (
        b"2 w 60 60 480 320 re S "  # the room
        b"60 260 160 120 re S "  # the kitchen
        b"240 300 m 400 300 l S "  # the counter
        b"1 w 280 60 m 340 60 l S "  # the door
        b"BT /F1 14 Tf 90 310 Td (Kitchen) Tj ET "
        b"BT /F1 14 Tf 250 180 Td (Seating) Tj ET "
        b"BT /F1 10 Tf 280 45 Td (Door) Tj ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 440] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return pdf
