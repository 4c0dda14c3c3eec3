"""A service's "no", read once for every caller: what it said, per field what was wrong, and how to
say it to a person (the portal shows `reason` and `fields`; the CLI prints `explained(...)`)."""

from dataclasses import dataclass
from typing import Any

import httpx

# (field, what is wrong with it); the field is "" when the request as a whole was refused.
Problem = tuple[str, str]
# Parts of FastAPI's error location that say where a field was sent, not which field it is.
SENT_IN = ("body", "query", "path")


@dataclass(frozen=True)
class Explanation:
    """A refusal as a sentence, what to do next, and whether the input was at fault."""

    message: str
    what_to_do: str = ""
    bad_input: bool = False


@dataclass
class Refusal(Exception):
    """The service said no (`status`), or did not answer at all (status 0)."""

    service: str
    said: str = ""  # its own sentence (FastAPI's string `detail`), or ours when it did not answer
    status: int = 0
    problems: tuple[Problem, ...] = ()  # FastAPI's 422 list, one per field
    answered: str = ""  # an answer without a `detail`: its text, or the status's phrase
    retry_after: str = ""  # seconds, when it said (429)
    url: str = ""  # where it was asked, when it did not answer
    cause: str = ""  # why it did not answer

    def __str__(self) -> str:
        return f"{self.service}: {self.reason}"

    @classmethod
    def of(cls, service: str, response: httpx.Response) -> "Refusal":
        """Read a refusal the way every faio service writes one (FastAPI's `detail`)."""
        found: Any
        try:
            body = response.json()
        except ValueError:
            found = None
        else:
            found = body.get("detail", body) if isinstance(body, dict) else body
        said, answered = "", ""
        problems: tuple[Problem, ...] = ()
        if isinstance(found, str):
            said = found
        elif isinstance(found, list):
            problems = tuple(_problem(item) for item in found)
        else:
            answered = (response.text.strip() or response.reason_phrase) if found is None else str(found)
        retry_after = response.headers.get("Retry-After", "")
        return cls(service, said, response.status_code, problems, answered, retry_after)

    @classmethod
    def unanswered(cls, service: str, url: str, error: Exception) -> "Refusal":
        """No answer at all: the service is down, or unreachable from here."""
        return cls(
            service,
            f"the {service} service did not answer ({type(error).__name__}); try again in a moment",
            url=url,
            cause=str(error) or type(error).__name__,
        )

    @property
    def fields(self) -> dict[str, str]:
        """Per field what the service said (for a form: "form" is the request as a whole)."""
        return {field or "form": message for field, message in self.problems}

    @property
    def reason(self) -> str:
        """The service's reason on one line, as a page shows it."""
        if self.said:
            return self.said
        if self.problems:
            return "; ".join(f"{name}: {message}" for name, message in self.fields.items())
        return f"answered {self.status}"

    def in_full(self) -> str:
        """Everything the service said, one `field: problem` line each (for a terminal)."""
        if self.said:
            return self.said
        if self.problems:
            return "\n" + "\n".join(f"  {field or 'request'}: {message}" for field, message in self.problems)
        return self.answered

    def explained(self, *, sign_in: str, not_found: str, conflict: str, unreachable: str) -> Explanation:
        """The refusal as a sentence and what to do, by status; the caller says what to do in its own terms
        (how to sign in, where the things are listed, how to see a state, where the service should be)."""
        if self.status == 0:
            return Explanation(
                f"cannot reach the {self.service} service at {self.url} ({self.cause})", unreachable
            )
        service, said = f"the {self.service} service", self.in_full()
        bad_input = Explanation(
            f"{service} refused the input: {said}", "fix what is named and try again", bad_input=True
        )
        by_status = {
            401: Explanation(f"{service} refused the token: {said}", sign_in),
            403: Explanation(f"{service} refused: {said}"),
            404: Explanation(said, not_found),
            409: Explanation(said, conflict),
            503: Explanation(f"{service} is not ready: {said}", "try again in a few seconds"),
        } | dict.fromkeys((400, 413, 415, 422), bad_input)
        return by_status.get(self.status, Explanation(f"{service} answered {self.status}: {said}"))


def _problem(item: Any) -> Problem:
    if not isinstance(item, dict):
        return "", str(item)
    location = [str(part) for part in item.get("loc", []) if part not in SENT_IN]
    return ".".join(location), str(item.get("msg", item))
