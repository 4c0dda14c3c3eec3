from fastapi import Request

from shared.settings import SharedSettings


class PortalSettings(SharedSettings):
    service_name: str = "portal"

    # Where people reach the portal: sign-in links in mail point here.
    public_url: str = "http://127.0.0.1:8005"
    # The services whose APIs the portal calls on the officer's behalf.
    intake_url: str = "http://127.0.0.1:8001"
    audit_url: str = "http://127.0.0.1:8002"
    roadmap_url: str = "http://127.0.0.1:8003"
    kpi_url: str = "http://127.0.0.1:8004"
    service_timeout_seconds: float = 15.0
    # Intake's officer administration secret (X-Faio-Admin-Secret): the portal asks intake for
    # a sign-in link when an officer requests one by email. Empty works on one machine only.
    admin_secret: str = ""

    session_hours: float = 12.0
    # Sign-in links asked for by email: per address (a link lasts 15 minutes) and per client.
    sign_in_links_per_address: str = "3/15 minutes"
    sign_in_requests_per_client: str = "10/hour"

    # Mail (sign-in links, urgent notices). `make run` starts a sink on this port that writes
    # .eml files to .local/mail; in a deployment, point these at the relay.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "faio portal <portal@faio.local>"
    # How often urgent notices are looked for and mailed (0 turns mailing off).
    mail_interval_seconds: float = 5.0
    # How often due Monday digests are looked for (0 turns the digest off).
    digest_interval_seconds: float = 900.0

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS in production; local and test runs are plain HTTP."""
        return self.environment == "production"


def settings_of(request: Request) -> PortalSettings:
    """The settings of the app serving this request."""
    settings: PortalSettings = request.app.state.runtime.settings
    return settings
