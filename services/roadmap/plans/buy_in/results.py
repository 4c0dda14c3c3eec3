"""The buy-in survey's results, pure: nothing below five answers, then figures in whole groups of five.

Why groups of five: if every new answer moved the averages, comparing the results before and after
one person answered would give that person's answers. Counting only the first 5, 10, 15 ... answers
means any two views of the results differ by at least five people.
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


def survey_results(answers: Sequence[dict[str, int]]) -> SurveyResults:
    """Results of one round from its answers in the order they came (oldest first)."""
    responses = len(answers)
    if responses < MIN_RESPONSES_TO_SHOW:
        return SurveyResults(
            responses=responses,
            shown=False,
            message=f"{TOO_FEW} ({responses} so far; results show from {MIN_RESPONSES_TO_SHOW})",
        )
    counted = responses - responses % MIN_RESPONSES_TO_SHOW
    used = answers[:counted]
    questions = []
    favourable = []
    for key in SURVEY_QUESTIONS:
        values = [answer[key] for answer in used]
        mean = sum(values) / counted
        questions.append(
            QuestionResult(
                question=key,
                text=QUESTION_TEXT[key],
                mean=round(mean, 2),
                agree_share=round(sum(1 for value in values if value >= 4) / counted, 3),
                worse_when_agreed=key in WORSE_WHEN_AGREED,
            )
        )
        favourable.append(6 - mean if key in WORSE_WHEN_AGREED else mean)
    score = (sum(favourable) / len(favourable) - 1) / 4 * 100
    waiting = responses - counted
    message = f"{counted} answers counted"
    if waiting:
        message += (
            f"; {waiting} more wait until {MIN_RESPONSES_TO_SHOW - waiting} others answer (groups of five)"
        )
    return SurveyResults(
        responses=responses,
        shown=True,
        message=message,
        counted=counted,
        buy_in_score=round(score, 1),
        questions=questions,
    )
