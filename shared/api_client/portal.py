"""The portal's API for callers with an officer's bearer token (not a browser session)."""

from shared.api_client.calls import Call, Id


def practice_report_pdf(*, clinic_id: Id) -> Call[bytes]:
    """The practice's roadmap report as a PDF (the answer's content-disposition names the file)."""
    return Call("portal", "GET", f"/v1/clinics/{clinic_id}/report.pdf", reads="bytes")
