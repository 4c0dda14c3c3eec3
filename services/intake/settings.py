"""Intake's settings: the shared ones plus who may administer officers and where the portal is."""

from shared.settings import SharedSettings


class IntakeSettings(SharedSettings):
    service_name: str = "intake"
    # Officer administration (create officers, issue and revoke tokens, portal sign-in links).
    # Set: callers must send it in the X-Faio-Admin-Secret header. Empty: only callers on this
    # machine (loopback) may, and only in development/test; production refuses them all.
    admin_secret: str = ""
    # Where officers sign in to the portal: sign-in links are {portal_url}/sign-in?token=...
    portal_url: str = "http://127.0.0.1:8005"
