"""The buy-in survey's results, pure: nothing while the round is open, nothing below five answers.

Why only once closed: if the figures moved while answers came in, comparing them before and after
one person answered would give that person's answers; a closed round's figures never change, and
while it is open not even the number of answers is told (it would say who just answered).
Why coarsened: with five answers a 0 % or 100 % share (or a mean of 1 or 5) says what every one of
them answered.
"""

from collections.abc import Sequence

from services.roadmap.plans.buy_in.models import (
    QUESTION_TEXT,
    WORSE_WHEN_AGREED,
    QuestionResult,
    SurveyResults,
)
from shared.events.buy_in import MIN_RESPONSES_TO_SHOW, SURVEY_QUESTIONS

TOO_FEW = "too few responses to show without identifying anyone"
STILL_OPEN = "the round is open; results show once it closes, from 5 answers"
ALL = "all or nearly all"
NONE = "none or nearly none"


def agree_in_words(share: float) -> tuple[float | None, str]:
    """The agree share as shown: exact in between, coarsened at 0 % and 100 %."""
    if share >= 1:
        return None, ALL
    if share <= 0:
        return None, NONE
    return round(share, 3), f"{share:.0%}"


def survey_results(answers: Sequence[dict[str, int]], *, closed: bool) -> SurveyResults:
    """Results of one round from its answers (in no particular order)."""
    if not closed:
        return SurveyResults(closed=False, shown=False, message=STILL_OPEN)
    responses = len(answers)
    if responses < MIN_RESPONSES_TO_SHOW:
        return SurveyResults(
            closed=True,
            responses=responses,
            shown=False,
            message=f"{TOO_FEW} (the round closed with {responses}; results need {MIN_RESPONSES_TO_SHOW})",
        )
    questions = []
    favourable = []
    for key in SURVEY_QUESTIONS:
        values = [answer[key] for answer in answers]
        mean = sum(values) / responses
        share, words = agree_in_words(sum(1 for value in values if value >= 4) / responses)
        questions.append(
            QuestionResult(
                question=key,
                text=QUESTION_TEXT[key],
                # 1.0 or 5.0 says every answer; the agree words say it coarsened instead.
                mean=None if mean in (1, 5) else round(mean, 2),
                agree_share=share,
                agree=words,
                worse_when_agreed=key in WORSE_WHEN_AGREED,
            )
        )
        favourable.append(6 - mean if key in WORSE_WHEN_AGREED else mean)
    score = (sum(favourable) / len(favourable) - 1) / 4 * 100
    return SurveyResults(
        closed=True,
        responses=responses,
        shown=True,
        message=f"the round closed with {responses} answers",
        buy_in_score=round(score, 1),
        questions=questions,
    )
